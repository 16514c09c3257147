import type { Actor, Scope } from '../core/context.ts';

export type DialectId = 'native' | 'dcycle' | 'visible' | 'workiva' | 'achieveit' | 'vitally';

// Each route says which dialect it speaks (for its error shape) and who may call it: the
// scope it needs, or `public: true`. Exactly one of the two (route-policy.ts refuses to
// start otherwise).
declare module 'fastify' {
  interface FastifyContextConfig {
    dialect?: DialectId;
    scope?: Scope;
    public?: true;
  }
  interface FastifyRequest {
    actor: Actor;
  }
}
