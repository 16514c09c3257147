import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type AnyDomainError,
  DomainError,
  type FieldIssue,
  fieldName,
  Invalid,
  NotFound,
  TooLarge,
} from '../core/errors.ts';
import { type ErrorFormats, type ErrorLike, formatFor } from './error-reply.ts';

// The one place where errors become HTTP responses: whatever was thrown (a domain error,
// a schema validation failure, a body parser's complaint) is first turned into an
// ErrorLike, then the route's dialect decides the status and the body.

interface AjvIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

export function pathSegments(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

const CONTEXTS: Record<string, FieldIssue['in']> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

function validationIssues(issues: AjvIssue[], context: string | undefined): FieldIssue[] {
  const where = CONTEXTS[context ?? 'body'] ?? 'body';
  return issues.map((issue) => {
    const segments = pathSegments(issue.instancePath);
    const missing = issue.params.missingProperty;
    if (typeof missing === 'string') segments.push(missing);
    // A closed object names the property it does not know as the field.
    const extra = issue.params.additionalProperty;
    if (typeof extra === 'string') segments.push(extra);
    const allowed = issue.params.allowedValues;
    const message =
      issue.keyword === 'required'
        ? 'required'
        : typeof extra === 'string'
          ? `is not a known ${where === 'query' ? 'query parameter' : 'field'}`
          : Array.isArray(allowed)
            ? `must be one of ${allowed.join(', ')}`
            : (issue.message ?? 'is invalid');
    return {
      field: fieldName(segments) || where || 'body',
      path: segments,
      message,
      in: where,
      code: issue.keyword,
    };
  });
}

export function toErrorLike(error: unknown): ErrorLike {
  if (error instanceof DomainError) return error as AnyDomainError;
  const e = error as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (e.validation) return new Invalid(validationIssues(e.validation, e.validationContext), true);
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
    return new TooLarge('The request body is larger than this endpoint accepts');
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    const message = e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported content type' : e.message;
    return new Invalid([{ field: 'body', message, in: 'body', path: [] }], true);
  }
  return { kind: 'internal', message: 'The server encountered an unexpected condition' };
}

export function registerErrorHandler(app: FastifyInstance, formats: ErrorFormats): void {
  const send = (request: FastifyRequest, reply: FastifyReply, error: ErrorLike) => {
    const dialect = request.routeOptions.config?.dialect ?? 'native';
    const out = formatFor(formats, dialect)(error);
    if (out.headers) reply.headers(out.headers);
    reply.code(out.status).type(out.contentType ?? 'application/json; charset=utf-8');
    return reply.send(out.body);
  };
  app.setErrorHandler((error, request, reply) => {
    const like = toErrorLike(error);
    if (like.kind === 'internal') request.log.error({ err: error }, 'request failed');
    return send(request, reply, like);
  });
  app.setNotFoundHandler((request, reply) => send(request, reply, new NotFound('route')));
}
