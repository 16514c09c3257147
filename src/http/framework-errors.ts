import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Invalid, TooLarge } from '../core/errors.ts';
import { type ErrorFormats, type ErrorLike, formatFor } from './error-reply.ts';

// Errors Fastify and Node answer before any route runs (a bad %-encoding, a path
// parameter past maxParamLength, a request head past Node's maxHeaderSize) get the error
// shape of the dialect the URL belongs to, like every other error. The dialect is read
// from the route table: the registered route sharing the longest leading run of static
// path segments with the URL decides; a URL that shares none is native.

/** Longest path parameter the router accepts; past it the answer is a 414. */
export const MAX_PARAM_LENGTH = 500;

/** What the table needs of a route: its URL and (once a dialect plugin set it) its config. */
interface RouteLike {
  url: string;
  config?: { dialect?: string };
}

export class RouteDialects {
  private readonly routes: RouteLike[] = [];

  /** Called from an onRoute hook; the route's config (its dialect) is read later, when set. */
  record(route: RouteLike): void {
    this.routes.push(route);
  }

  dialectOf(url: string): string {
    const path = url.split('?')[0].split('/').filter(Boolean);
    let best = 'native';
    let bestScore = 0;
    for (const route of this.routes) {
      const dialect = route.config?.dialect;
      if (!dialect) continue;
      const segments = route.url.split('/').filter(Boolean);
      let score = 0;
      while (
        score < segments.length &&
        score < path.length &&
        !/[:*]/.test(segments[score]) &&
        segments[score] === path[score]
      ) {
        score++;
      }
      if (score > bestScore) {
        bestScore = score;
        best = dialect;
      }
    }
    return best;
  }
}

function likeOf(error: FastifyError): ErrorLike {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new TooLarge(`A path parameter is longer than ${MAX_PARAM_LENGTH} characters`, 414);
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return new Invalid([{ field: 'path', message: 'is not a valid URL component', in: 'path' }], true);
  }
  return new Invalid([{ field: 'request', message: error.message, in: 'header' }], true);
}

/** Fastify's `frameworkErrors` option. */
export function frameworkErrors(formats: ErrorFormats, dialects: RouteDialects) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const out = formatFor(formats, dialects.dialectOf(request.raw.url ?? '/'))(likeOf(error));
    if (out.headers) reply.headers(out.headers);
    return reply
      .code(out.status)
      .type(out.contentType ?? 'application/json; charset=utf-8')
      .send(out.body);
  };
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * Fastify's `clientErrorHandler`: Node could not parse the request (its head is past
 * maxHeaderSize, or it is not HTTP), so there is no request object and the answer is
 * written raw to the socket, as a whole HTTP response with the dialect's JSON body.
 */
export function clientErrorHandler(formats: ErrorFormats, dialects: RouteDialects) {
  return (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const like: ErrorLike =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new TooLarge('The request line and headers are larger than this server accepts', 431)
        : new Invalid([{ field: 'request', message: 'is not a valid HTTP request', in: 'header' }], true);
    // The request line, when it arrived, still names the URL and so the dialect.
    const raw: Buffer = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : Buffer.alloc(0);
    const line = raw
      .subarray(0, 64 * 1024)
      .toString('latin1')
      .split('\r\n', 1)[0];
    const url = line.split(' ')[1] ?? '/';
    const out = formatFor(formats, dialects.dialectOf(url))(like);
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : out.status;
    const body = JSON.stringify(out.body);
    const headers = {
      'content-type': out.contentType ?? 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
      ...(out.headers ?? {}),
    };
    if (socket.writable) {
      const head = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n${head}\r\n${body}`);
    }
    socket.destroy();
  };
}
