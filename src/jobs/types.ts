import type { Kysely } from 'kysely';
import type { Actor } from '../core/context.ts';
import type { TargetPolicy } from '../core/webhook-targets.ts';
import type { Store } from '../store/database.ts';
import type { JobRow } from '../store/jobs.ts';
import type { DB } from '../store/schema.ts';

export type { JobStatus } from '../core/job-types.ts';
export type { JobRow } from '../store/jobs.ts';

/** What a handler reports when its job completes. */
export interface JobOutcome {
  /** Items read from the payload. */
  received?: number;
  /** Items written. */
  applied?: number;
  /** Anything the job's readers need, e.g. `{ url }` of the written data (the result link). */
  result?: Record<string, unknown>;
}

export interface JobContext<M = Record<string, unknown>> {
  readonly job: JobRow;
  /** The job's `meta`, as given to enqueueJob. */
  readonly meta: M;
  /** The organization and actor that enqueued the job, with `jobId` set (revisions record it). */
  readonly actor: Actor;
  readonly store: Store;
  /** Where a webhook delivery may connect (KPIHUB_WEBHOOK_ALLOW_HOSTS and this server's own address). */
  readonly webhookTargets: TargetPolicy;
  /** Aborted when the lease was lost or the worker is stopping: stop early, commit nothing. */
  readonly signal: AbortSignal;
  /** The payload as stored, chunk by chunk (about 1 MB each): never whole in memory. */
  payload(): AsyncIterable<Buffer>;
  /** Progress counters (e.g. `{ read, applied }`). Cheap: saved with the next lease renewal. */
  progress(counters: Record<string, number>): void;
  /**
   * Lets the event loop answer other requests. Await it between chunks so a big job never
   * blocks the process for long. Throws LeaseLost if the job was taken away meanwhile.
   */
  yield(): Promise<void>;
  /**
   * Records the outcome inside the handler's own write transaction, just before it
   * commits: it checks that this worker still holds the lease (else throws LeaseLost and
   * the transaction rolls back) and marks the job completed in the same transaction. The
   * data and the job's end then commit together, so a retried job never applies twice.
   * A handler that writes nothing may skip it: the worker then records the outcome itself.
   */
  finish(trx: Kysely<DB>, outcome: JobOutcome): Promise<void>;
}

/**
 * Runs one job. Return the outcome (or call ctx.finish inside the write transaction).
 * Throw a core DomainError (Invalid with per-item issues, NotFound, …) for a job that can
 * never succeed: it ends `failed` at once. Any other error counts as an infrastructure
 * failure and the job is retried with exponential backoff, up to its max_attempts.
 */
export type JobHandler = (ctx: JobContext) => Promise<JobOutcome | undefined>;

export type JobHandlers = Readonly<Record<string, JobHandler>>;

/** This worker no longer holds the job's lease: another worker has it (or will). */
export class LeaseLost extends Error {
  constructor(jobId: string) {
    super(`lease of job ${jobId} was lost`);
  }
}
