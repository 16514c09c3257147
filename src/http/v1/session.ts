import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SCOPES } from '../../core/api-keys.ts';
import { Forbidden, Unauthorized } from '../../core/errors.ts';
import { SESSION_MAX_MS, startSession } from '../../core/sessions.ts';
import { candidateSecrets } from '../auth.ts';
import type { Credential } from '../route-config.ts';
import { Nullable, StringEnum } from '../schema-helpers.ts';
import {
  CSRF_HEADER,
  clearSessionCookie,
  foreignOriginProblem,
  SESSION_COOKIE,
  sessionTokenOf,
  setSessionCookie,
} from '../session-cookie.ts';
import { Problem, Timestamp } from './schemas.ts';

// Length: three routes, their schemas declared inline (they feed the OpenAPI document).

const tags = ['session'];

const SessionView = Type.Object(
  {
    via: StringEnum(['session', 'api_key'] as const, {
      description: 'What authenticated this request: the session cookie, or an API key header',
    }),
    org_id: Type.String(),
    org_name: Type.String(),
    key_id: Type.String({ description: 'The API key signed in with (or sent)' }),
    key_name: Type.String(),
    scopes: Type.Array(StringEnum(SCOPES)),
    created_at: Nullable({ ...Timestamp, description: 'When the session began; null for an API key' }),
    expires_at: Nullable({ ...Timestamp, description: 'When the session ends at the latest' }),
    idle_expires_at: Nullable({
      ...Timestamp,
      description: 'When the session ends unless it is used before',
    }),
  },
  { title: 'Session' },
);

const SignIn = Type.Object({
  api_key: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'The API key to sign in with; or send it as `Authorization: Bearer <key>`',
    }),
  ),
});

const sessionErrors = { 400: Problem, 401: Problem, 403: Problem, 429: Problem };

const idleAnswer = (c: Credential) =>
  c.via === 'session'
    ? {
        created_at: c.session.createdAt,
        expires_at: c.session.expiresAt,
        idle_expires_at: c.session.idleExpiresAt,
      }
    : { created_at: null, expires_at: null, idle_expires_at: null };

/**
 * Browser sessions: an API key exchanged for an HttpOnly, SameSite=Strict cookie, so that the
 * dashboard never holds the key. The cookie authenticates the native API (/v1) only; a write
 * it authenticates must carry the X-KPIHub-CSRF header and come from this server's own pages.
 */
export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage, reader, authenticator, sessions, config } = app.services;

  const view = async (c: Credential) => {
    const orgId = c.via === 'session' ? c.session.orgId : c.key.orgId;
    const org = await reader.findOrganization(orgId);
    return {
      via: c.via,
      org_id: orgId,
      org_name: org?.name ?? '',
      key_id: c.via === 'session' ? c.session.keyId : c.key.id,
      key_name: c.via === 'session' ? c.session.keyName : c.key.name,
      scopes: c.via === 'session' ? c.session.scopes : c.key.scopes,
      ...idleAnswer(c),
    };
  };

  app.post(
    '/session',
    {
      config: {
        // Public: the key to check is in the body (or the usual header), checked here.
        public: true,
        idempotent: false,
        // Every attempt counts, by client address: guessing keys through here is slow.
        rateLimit: { max: config.rateLimit.signInMax, timeWindow: 60_000, keyGenerator: (r) => r.ip },
      },
      schema: {
        tags,
        operationId: 'signIn',
        summary: 'Sign in: exchange an API key for a session cookie',
        description:
          `The key comes in the body (\`api_key\`) or as the usual \`Authorization\` / \`x-api-key\` header ` +
          `(the body may then be omitted). ` +
          `The answer sets \`${SESSION_COOKIE}\`: HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS, ` +
          `for at most 7 days and ending after 12 hours unused, or when the key is revoked. The cookie ` +
          `authenticates the native API (/v1) only; a write it authenticates must carry the ` +
          `\`${CSRF_HEADER}\` header. 401 for a bad key (and no cookie); 403 when the request's Origin ` +
          `is another site's; 429 beyond KPIHUB_SIGNIN_RATE_LIMIT_MAX attempts a minute per address.`,
        security: [],
        body: Type.Optional(SignIn),
        response: { 200: SessionView, ...sessionErrors },
      },
      // No body at all (the key in a header) reads as an empty one.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const foreign = foreignOriginProblem(request);
      if (foreign) throw new Forbidden(foreign);
      const given = request.body?.api_key;
      const secrets = given === undefined ? candidateSecrets(request) : [given];
      let key = null;
      for (const secret of secrets) {
        key = await authenticator.authenticate(secret);
        if (key) break;
      }
      if (!key) throw new Unauthorized(secrets.length ? 'No valid API key provided' : 'No API key provided');
      // Signing in again replaces this browser's previous session.
      const previous = sessionTokenOf(request);
      if (previous !== undefined) await sessions.end(previous);
      const { token, session } = await startSession(storage, key);
      setSessionCookie(reply, request, token, Math.floor(SESSION_MAX_MS / 1000));
      return view({ via: 'session', session });
    },
  );

  app.get(
    '/session',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'getSession',
        summary: 'Who is signed in: organization, key and scopes',
        description: 'Answers for the session cookie, and for an API key header (`via: api_key`) alike.',
        response: { 200: SessionView, ...sessionErrors },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return view(request.credential);
    },
  );

  app.delete(
    '/session',
    {
      config: { scope: 'read', idempotent: false },
      schema: {
        tags,
        operationId: 'signOut',
        summary: 'Sign out: end the session and clear its cookie',
        description:
          `Deletes the session of the \`${SESSION_COOKIE}\` cookie sent, and clears the cookie; 204 also ` +
          `when there was none (an API key caller). Through the cookie, it needs the \`${CSRF_HEADER}\` header.`,
        response: { 204: Type.Null(), ...sessionErrors },
      },
    },
    async (request, reply) => {
      const token = sessionTokenOf(request);
      if (token !== undefined) {
        await sessions.end(token);
        clearSessionCookie(reply, request);
      }
      return reply.code(204).send(null);
    },
  );
};
