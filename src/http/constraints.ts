import type { FastifyInstance } from 'fastify';

/**
 * Route constraint `credentials: 'present' | 'absent'`: lets one path serve two routes,
 * as GET /metrics does (Visible's metric list for a caller with an API key, Prometheus'
 * exposition for an anonymous scraper).
 */
export function registerCredentialsConstraint(app: FastifyInstance): void {
  app.addConstraintStrategy({
    name: 'credentials',
    storage() {
      const handlers = new Map<string, unknown>();
      return {
        get: (value: string) => (handlers.get(value) ?? null) as never,
        set: (value: string, store: unknown) => {
          handlers.set(value, store);
        },
      };
    },
    deriveConstraint: (req) =>
      req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined
        ? 'present'
        : 'absent',
    mustMatchWhenDerived: false,
  });
}
