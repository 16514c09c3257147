import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { queueEvents } from '../jobs/index.ts';
import type { JobEnded } from '../jobs/queue.ts';
import type { QueueCount } from '../store/queue-stats.ts';

// The job queue (and the rollups' backlog) in Prometheus: what waits and runs (read from the database at each scrape,
// so every API process reports the whole queue, whoever works it), and how the jobs this
// process's workers ran ended (counted as they end).

/** Seconds the oldest due queued job has waited, by kind; 0 when none waits. */
export function oldestQueuedSeconds(counts: QueueCount[], at = Date.now()): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of counts) {
    if (c.status !== 'queued' || c.oldest_due === null) continue;
    const waited = Math.max(0, (at - Date.parse(c.oldest_due)) / 1000);
    out.set(c.kind, Math.max(out.get(c.kind) ?? 0, waited));
  }
  return out;
}

export function registerQueueMetrics(
  registry: Registry,
  health: { queueCounts(): Promise<QueueCount[]>; rollupBacklog(): Promise<number> },
): () => void {
  const counts = () => health.queueCounts();
  new Gauge({
    name: 'kpihub_rollup_months_pending',
    help: 'Months of any metric whose rollups wait to be recomputed (the background refresher catches up; a read recomputes the ones it needs first)',
    registers: [registry],
    async collect() {
      this.set(await health.rollupBacklog());
    },
  });
  // Each gauge reads the queue at the scrape (the registry collects them concurrently): two
  // small index reads.
  new Gauge({
    name: 'kpihub_jobs',
    help: 'Unfinished jobs by kind and status (staging, queued, running), in the whole database',
    labelNames: ['kind', 'status'],
    registers: [registry],
    async collect() {
      const found = await counts();
      this.reset();
      for (const c of found) this.set({ kind: c.kind, status: c.status }, c.count);
    },
  });
  new Gauge({
    name: 'kpihub_jobs_oldest_queued_seconds',
    help: 'How long the oldest due queued job of each kind has waited to be claimed',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const found = await counts();
      this.reset();
      for (const [kind, waited] of oldestQueuedSeconds(found)) this.set({ kind }, waited);
    },
  });
  const ended = new Counter({
    name: 'kpihub_jobs_ended_total',
    help: "Jobs this process's workers ended, by kind and status (completed, failed)",
    labelNames: ['kind', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'kpihub_job_duration_seconds',
    help: "From a job's first claim to its end (retries included), by kind (this process's workers)",
    labelNames: ['kind'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });
  const attempts = new Histogram({
    name: 'kpihub_job_attempts',
    help: "Attempts a job took until it ended, by kind (this process's workers)",
    labelNames: ['kind'],
    buckets: [1, 2, 3, 5, 10],
    registers: [registry],
  });
  const onEnded = (e: JobEnded) => {
    ended.inc({ kind: e.kind, status: e.status });
    if (e.seconds !== null) duration.observe({ kind: e.kind }, e.seconds);
    attempts.observe({ kind: e.kind }, e.attempts);
  };
  queueEvents.on('ended', onEnded);
  return () => queueEvents.off('ended', onEnded);
}
