import type { Actor, Scope } from '../core/context.ts';

export type DialectId = 'native' | 'dcycle' | 'visible' | 'workiva' | 'achieveit' | 'vitally';

// Each route says which dialect it speaks (for its error shape) and which scope it needs.
// A route without `scope` is public (health, docs).
declare module 'fastify' {
  interface FastifyContextConfig {
    dialect?: DialectId;
    scope?: Scope;
  }
  interface FastifyRequest {
    actor: Actor;
  }
}
