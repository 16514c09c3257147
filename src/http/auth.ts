import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyAuthenticator } from '../core/api-keys.ts';
import { Forbidden, Unauthorized } from '../core/errors.ts';
import { KEY_PREFIX } from '../core/secrets.ts';
import type { SessionAuthenticator } from '../core/sessions.ts';
import type { Credential } from './route-config.ts';
import { clearSessionCookie, csrfProblem, sessionTokenOf } from './session-cookie.ts';

/**
 * The secrets a request may carry, in the four forms of DIALECTS.md: `Authorization:
 * Bearer|API-KEY|Basic <key>` and `x-api-key`. For Basic, the token as is, and also the
 * base64 of `<key>:` or `:<key>` that HTTP clients build from a user and password.
 */
export function candidateSecrets(request: FastifyRequest): string[] {
  const out: string[] = [];
  const xApiKey = request.headers['x-api-key'];
  if (typeof xApiKey === 'string' && xApiKey.trim()) out.push(xApiKey.trim());
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const match = /^(Bearer|API-KEY|Basic)\s+(\S+)\s*$/i.exec(auth);
    if (match) {
      const token = match[2];
      out.push(token);
      if (match[1].toLowerCase() === 'basic' && !token.startsWith(KEY_PREFIX)) {
        const decoded = Buffer.from(token, 'base64').toString('utf8');
        const pair = /^([^:]*):([^:]*)$/.exec(decoded);
        if (pair) {
          const secret = pair[1] || pair[2];
          if (secret) out.push(secret);
        }
      }
    }
  }
  return out;
}

/**
 * The session cookie is accepted on the native API only (the routes of `/v1` that speak
 * `native`, the session routes among them): the vendor dialects' scripts send keys, and a
 * route that never takes a cookie cannot be the target of a cross-site request forgery.
 */
const takesSessionCookie = (request: FastifyRequest): boolean =>
  request.routeOptions.config.dialect === 'native';

/** The actor's credential: a key from the headers, else (native API) the session cookie. */
async function credentialOf(
  request: FastifyRequest,
  reply: FastifyReply,
  keys: KeyAuthenticator,
  sessions: SessionAuthenticator,
): Promise<Credential> {
  const secrets = candidateSecrets(request);
  // A key header decides alone: a bad key is a 401 even beside a good cookie.
  if (secrets.length > 0 || !takesSessionCookie(request)) {
    for (const secret of secrets) {
      const key = await keys.authenticate(secret);
      if (key) return { via: 'api_key', key };
    }
    throw new Unauthorized('No valid API key provided');
  }
  const token = sessionTokenOf(request);
  if (token === undefined) throw new Unauthorized('No valid API key provided');
  const session = await sessions.authenticate(token);
  if (!session) {
    // Signed out, idle, expired or its key revoked: the browser may as well drop the cookie.
    clearSessionCookie(reply, request);
    throw new Unauthorized('The session has ended: sign in again');
  }
  const csrf = csrfProblem(request);
  if (csrf) throw new Forbidden(csrf);
  return { via: 'session', session };
}

/** Authenticates every route that is not public, before its body is even read. */
export function registerAuth(
  app: FastifyInstance,
  authenticator: KeyAuthenticator,
  sessions: SessionAuthenticator,
): void {
  app.decorateRequest('actor', null as never);
  app.decorateRequest('credential', null as never);
  app.addHook('onRequest', async (request, reply) => {
    // Unknown paths fall to the not-found handler, which has no route config: a 404.
    if (request.is404) return;
    const { scope, public: isPublic } = request.routeOptions.config;
    if (isPublic) return;
    // route-policy.ts refuses such a route at start-up; if one slipped through, deny.
    if (!scope) throw new Error(`route ${request.routeOptions.url} declares neither a scope nor public`);
    const credential = await credentialOf(request, reply, authenticator, sessions);
    const key =
      credential.via === 'api_key'
        ? credential.key
        : {
            id: credential.session.keyId,
            orgId: credential.session.orgId,
            scopes: credential.session.scopes,
          };
    // admin implies write implies read.
    const rank = { read: 0, write: 1, admin: 2 } as const;
    const best = Math.max(...key.scopes.map((s) => rank[s]));
    if (best < rank[scope]) {
      const holder = credential.via === 'api_key' ? 'The API key' : "The session's API key";
      throw new Forbidden(`${holder} does not have the ${scope} scope`);
    }
    const userId = request.headers['x-user-id'];
    request.credential = credential;
    request.actor = {
      orgId: key.orgId,
      keyId: key.id,
      scopes: key.scopes,
      actor: typeof userId === 'string' && userId.length > 0 && userId.length <= 255 ? userId : key.id,
      requestId: request.id,
    };
  });
}
