import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyAuthenticator } from '../core/api-keys.ts';
import { Forbidden, Unauthorized } from '../core/errors.ts';
import { KEY_PREFIX } from '../core/secrets.ts';

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

/** Authenticates every route that is not public, before its body is even read. */
export function registerAuth(app: FastifyInstance, authenticator: KeyAuthenticator): void {
  app.decorateRequest('actor', null as never);
  app.addHook('onRequest', async (request) => {
    // Unknown paths fall to the not-found handler, which has no route config: a 404.
    if (request.is404) return;
    const { scope, public: isPublic } = request.routeOptions.config;
    if (isPublic) return;
    // route-policy.ts refuses such a route at start-up; if one slipped through, deny.
    if (!scope) throw new Error(`route ${request.routeOptions.url} declares neither a scope nor public`);
    let key = null;
    for (const secret of candidateSecrets(request)) {
      key = await authenticator.authenticate(secret);
      if (key) break;
    }
    if (!key) throw new Unauthorized('No valid API key provided');
    // admin implies write implies read.
    const rank = { read: 0, write: 1, admin: 2 } as const;
    const best = Math.max(...key.scopes.map((s) => rank[s]));
    if (best < rank[scope]) throw new Forbidden(`The API key does not have the ${scope} scope`);
    const userId = request.headers['x-user-id'];
    request.actor = {
      orgId: key.orgId,
      keyId: key.id,
      scopes: key.scopes,
      actor: typeof userId === 'string' && userId.length > 0 && userId.length <= 255 ? userId : key.id,
      requestId: request.id,
    };
  });
}
