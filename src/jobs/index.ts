// The durable job queue: the public API for features that run work in the background
// (Workiva batches, CSV imports, webhook deliveries). Everything lives in the database
// (tables in src/store/migrations/0003-jobs.ts); there is no other server.
//
// Accepting work (in a route, through app.services.jobs):
//   const file = await jobs.spool(request.raw, maxBytes);          // big bodies
//   try {
//     const { job } = await jobs.enqueue({
//       actor: request.actor, kind: 'csv.import', payload: file,     // or a Buffer / string
//       meta: { ... }, orderingKey, idempotencyKey, received,
//       maxAttempts: config.jobMaxAttempts,
//     });
//     reply.code(202)...   // only now: the job row and its payload are committed together
//   } finally { await file.remove(); }
//
// Running it: a handler (core/job-handler.ts) is listed by kind in src/jobs/handlers.ts
// (core's kinds) or in its dialect's index.ts (`jobs`); src/job-handlers.ts joins them.
// A handler gets a JobContext:
//   ctx.payload()   async iterable of ~1 MB Buffers (payloadLines() splits them into lines)
//   ctx.actor       the enqueuing organization/actor with jobId set (revisions record it)
//   ctx.progress({ read, applied })   cheap; saved with the lease renewal
//   await ctx.yield()                 between chunks, so the API keeps answering
//   ctx.write((storage, finish, lookups) => …) the job's write on a connection of its own;
//                                     finish(outcome) inside its transaction, last thing before
//                                     commit: data and job end commit together; lookups reads
//                                     beside it where the engine can (else undefined)
// and returns { received, applied, result: { url } }. Throwing Invalid (per-item
// FieldIssues with `field` like `data[3].value` or `line`) ends the job `failed` at once;
// any non-domain error is retried with exponential backoff up to max_attempts.
//
// Workers: `new Worker({ store, handlers: jobHandlers, ... }).start()`, or
// startWorkers(config, store, jobHandlers), with jobHandlers from src/job-handlers.ts.
// `npm start` runs one beside the API (KPIHUB_WORKERS > 0); `kpihub worker` runs them alone.

import type { Config } from '../config.ts';
import { openStore, type Store } from '../store/database.ts';
import type { JobLogger } from './job-run.ts';
import type { JobHandlers } from './types.ts';
import { Worker } from './worker.ts';

export {
  type ImportError,
  type ImportView,
  jobIssues,
  jobResult,
  toImportView,
} from '../core/import-view.ts';
export { payloadLines } from '../core/imports/payload-lines.ts';
export { issueIndex, rejectedItems } from '../core/job-issues.ts';
export { findJob, listJobs } from '../store/jobs.ts';
export { coreJobHandlers } from './handlers.ts';
export { backoffMs } from './job-end.ts';
export { DEFAULT_MAX_ATTEMPTS, type Enqueued, type EnqueueOptions } from './job-insert.ts';
export type { JobLogger } from './job-run.ts';
export { type PurgeCounts, purgeEndedPayloads } from './payload-retention.ts';
export { enqueueJob, enqueueJobIn, queueEvents, readPayload } from './queue.ts';
export { PAYLOAD_CHUNK_BYTES, type PayloadSource, type SpooledFile, spoolToFile } from './spool.ts';
export { removeStagingJob, STAGE_BYTES, sweepStaleStagingJobs } from './staging.ts';
export {
  type JobContext,
  type JobHandler,
  type JobHandlers,
  type JobOutcome,
  type JobRow,
  type JobStatus,
  LeaseLost,
  WorkerStopping,
} from './types.ts';
export { SIGNATURE_HEADER, signWebhook, verifyWebhookSignature, WEBHOOK_KIND } from './webhooks.ts';
export { Worker, type WorkerOptions } from './worker.ts';

export interface RunningWorkers {
  readonly worker: Worker;
  /** Hands running jobs back and stops, within KPIHUB_SHUTDOWN_TIMEOUT less a second for the rest. */
  stop(): Promise<void>;
}

/**
 * Starts `config.workers` concurrent job runners with the handlers given. Beside the API
 * (`npm start`) on PostgreSQL they get a pool of their own, so long batches never take the
 * API's connections. On a single-writer engine (SQLite) they share the API's connection:
 * its lock queues the API's writes fairly behind a batch, whereas a second connection
 * would contend for SQLite's one write lock by busy-waiting, where an API write can starve
 * and fail after busy_timeout. `ownConnection: false` (a worker process alone) uses the
 * store it is given.
 */
export function startWorkers(
  config: Config,
  apiStore: Store,
  handlers: JobHandlers,
  logger?: JobLogger,
  opts: { ownConnection?: boolean } = {},
): RunningWorkers {
  const separate = opts.ownConnection !== false && apiStore.engine.concurrentWriters;
  const own = separate
    ? openStore(config.database, { poolSize: config.workers + 2, role: 'worker' })
    : undefined;
  const worker = new Worker({
    store: own ?? apiStore,
    handlers,
    logger,
    concurrency: Math.max(1, config.workers),
    leaseSeconds: config.jobLeaseSeconds,
    pollMs: config.jobPollMs,
    webhookTargets: config.webhookTargets,
    payloadRetentionMs: config.jobPayloadRetentionSeconds * 1000,
  }).start();
  return {
    worker,
    async stop() {
      await worker.stop(Math.max(500, config.shutdownTimeoutSeconds * 1000 - 1000));
      await own?.close();
    },
  };
}
