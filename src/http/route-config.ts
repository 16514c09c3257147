import type { Actor, Scope } from '../core/context.ts';

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
  }
}
