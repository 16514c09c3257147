import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { queueEvents } from '../jobs/index.ts';
import type { JobEnded } from '../jobs/queue.ts';
import type { ConnectionUse } from '../store/engine/types.ts';

// The write side in Prometheus: data points written by path (a request's route, or a job's
// kind), and the database connections in use and waited for. Rates are the counter's
// `rate()`; a pool whose waiting gauge stays above 0 is too small for its traffic
// (KPIHUB_PG_POOL_SIZE).

const written = new WeakMap<FastifyRequest, number>();

/** A route wrote `n` points (inserted, updated or deleted): counted when it answers. */
export function notePointsWritten(request: FastifyRequest, n: number): void {
  written.set(request, (written.get(request) ?? 0) + n);
}

export function registerWriteMetrics(
  app: FastifyInstance,
  registry: Registry,
  connectionUse: () => ConnectionUse,
): () => void {
  const points = new Counter({
    name: 'kpihub_points_written_total',
    help: 'Data points written (inserted, updated or deleted), by path: "<METHOD> <route>" for a request, "job <kind>" for a job (values applied)',
    labelNames: ['path'],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const n = written.get(request);
    // Only what was committed: a write that failed answered with an error and kept nothing.
    if (n && reply.statusCode < 300) points.inc({ path: `${request.method} ${request.routeOptions.url}` }, n);
  });
  const onEnded = (e: JobEnded) => {
    if (e.status === 'completed' && e.applied > 0) points.inc({ path: `job ${e.kind}` }, e.applied);
  };
  queueEvents.on('ended', onEnded);

  new Gauge({
    name: 'kpihub_db_connections',
    help: "This process's database connections by state (in_use, idle) and its pool's size (max)",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const use = connectionUse();
      this.set({ state: 'in_use' }, use.inUse);
      this.set({ state: 'idle' }, use.idle);
      this.set({ state: 'max' }, use.size);
    },
  });
  new Gauge({
    name: 'kpihub_db_connection_waiters',
    help: 'Callers waiting for a database connection now (SQLite: write transactions queued behind the running one)',
    registers: [registry],
    collect() {
      this.set(connectionUse().waiting);
    },
  });
  return () => queueEvents.off('ended', onEnded);
}
