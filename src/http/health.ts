import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';

export async function healthRoutes(app: FastifyInstance, opts: { registry: Registry }): Promise<void> {
  app.get('/health', { schema: { tags: ['ops'], summary: 'The process is alive' } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/ready',
    { schema: { tags: ['ops'], summary: 'The database answers' } },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(app.services.store.db);
        return { status: 'ready' };
      } catch {
        return reply.code(503).send({ status: 'unavailable' });
      }
    },
  );

  app.get(
    '/metrics',
    { schema: { hide: true }, constraints: { credentials: 'absent' } },
    async (_request, reply) => {
      reply.type(opts.registry.contentType);
      return opts.registry.metrics();
    },
  );
}
