import type { ApiKeyInfo } from '../core/api-keys.ts';
import type { Actor, Scope } from '../core/context.ts';
import type { SessionInfo } from '../core/sessions.ts';

/** What authenticated the request: an API key header, or the session cookie (native API only). */
export type Credential =
  | { readonly via: 'api_key'; readonly key: ApiKeyInfo }
  | { readonly via: 'session'; readonly session: SessionInfo };

// Each route says which dialect it speaks (for its error shape: `native`, or the id of a
// dialect in src/dialects/index.ts, whose DialectId names them all) and who may call it: the
// scope it needs, or `public: true`. Exactly one of the two (route-policy.ts refuses to
// start otherwise).
declare module 'fastify' {
  interface FastifyContextConfig {
    dialect?: string;
    scope?: Scope;
    public?: true;
  }
  interface FastifyRequest {
    actor: Actor;
    credential: Credential;
  }
}
