import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { oldestQueuedSeconds } from './queue-metrics.ts';
import type { RateLimitStore } from './rate-limit-store.ts';

// Public (no key), and never rate-limited: an orchestrator polling /ready or a
// Prometheus scraping /metrics must not be told 429 because a client used the budget.
const ops = { rateLimit: false, public: true } as const;

export async function healthRoutes(
  app: FastifyInstance,
  opts: { registry: Registry; rateLimitStore: Pick<RateLimitStore, 'state'> },
): Promise<void> {
  app.get(
    '/health',
    { config: ops, schema: { tags: ['ops'], operationId: 'getHealth', summary: 'The process is alive' } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      config: ops,
      schema: {
        tags: ['ops'],
        operationId: 'getReadiness',
        summary: 'The database answers and the job queue moves',
        description:
          'Unready (503) when the database does not answer, or when a due queued job has waited ' +
          'longer than `KPIHUB_READY_QUEUE_MAX_WAIT` seconds (default 900; 0 turns the check off): no ' +
          'worker is taking jobs. `queue_wait_seconds` then says how long. ' +
          'With Redis configured, `rate_limit_store` says whether the rate-limit counters are shared ' +
          '(`redis`) or, Redis not answering, counted in this process (`degraded`). A degraded store ' +
          'does not make the process unready.',
      },
    },
    async (_request, reply) => {
      const store = opts.rateLimitStore.state();
      const extra = store === 'memory' ? {} : { rate_limit_store: store };
      const { health, config } = app.services;
      let waited = 0;
      try {
        await health.databaseAnswers();
        if (config.readyQueueMaxWaitSeconds > 0) {
          waited = Math.max(0, ...oldestQueuedSeconds(await health.queueCounts()).values());
        }
      } catch {
        return reply.code(503).send({ status: 'unavailable', ...extra });
      }
      if (waited > config.readyQueueMaxWaitSeconds && config.readyQueueMaxWaitSeconds > 0) {
        return reply.code(503).send({
          status: 'unavailable',
          reason: 'queue_stuck',
          queue_wait_seconds: Math.floor(waited),
          ...extra,
        });
      }
      return { status: 'ready', ...extra };
    },
  );

  app.get(
    '/metrics',
    { config: ops, schema: { hide: true }, constraints: { credentials: 'absent' } },
    async (_request, reply) => {
      reply.type(opts.registry.contentType);
      return opts.registry.metrics();
    },
  );
}
