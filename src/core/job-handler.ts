import type { Actor } from './context.ts';
import type { JobRecord } from './job-types.ts';
import type { Storage } from './ports/index.ts';
import type { TargetPolicy } from './webhook-targets.ts';

// What a job handler is given and returns: the contract between the job machinery
// (src/jobs/, which claims, leases, retries) and the work a job does (core's file imports
// and webhook deliveries, a dialect's batches). Declared in core so a dialect's handlers
// need nothing from src/jobs/ or the store.

/** What a handler reports when its job completes. */
export interface JobOutcome {
  /** Items read from the payload. */
  received?: number;
  /** Items written. */
  applied?: number;
  /** Anything the job's readers need, e.g. `{ url }` of the written data (the result link). */
  result?: Record<string, unknown>;
}

/** A job still waiting in the queue, as a handler may look ahead at it. */
export interface QueuedJob {
  readonly id: string;
  readonly kind: string;
  readonly meta: Record<string, unknown>;
  /** Its payload as stored, chunk by chunk (read outside any write). */
  payload(): AsyncIterable<Buffer>;
}

export interface JobContext<M = Record<string, unknown>> {
  readonly job: JobRecord;
  /** The job's `meta`, as given when it was enqueued. */
  readonly meta: M;
  /** The organization and actor that enqueued the job, with `jobId` set (revisions record it). */
  readonly actor: Actor;
  /** Storage for reads outside the job's write (e.g. the webhook to deliver to). */
  readonly storage: Storage;
  /** Where a webhook delivery may connect (KPIHUB_WEBHOOK_ALLOW_HOSTS and this server's own address). */
  readonly webhookTargets: TargetPolicy;
  /** Aborted when the lease was lost or the worker is stopping: stop early, commit nothing. */
  readonly signal: AbortSignal;
  /** The payload as stored, chunk by chunk (about 1 MB each): never whole in memory. */
  payload(): AsyncIterable<Buffer>;
  /**
   * The job that runs next under this one's ordering key (accepted after it, still queued),
   * if any: a handler may read and check its payload while its own write runs. It is only a
   * look: whichever worker claims that job runs it, and a payload never changes.
   */
  nextInOrder(): Promise<QueuedJob | undefined>;
  /** Progress counters (e.g. `{ read, applied }`). Cheap: saved with the next lease renewal. */
  progress(counters: Record<string, number>): void;
  /**
   * Lets the event loop answer other requests. Await it between chunks so a big job never
   * blocks the process for long. Throws if the job was taken away meanwhile, or if the
   * worker is shutting down (the job is then handed back to the queue).
   */
  yield(): Promise<void>;
  /**
   * Runs the job's write: `fn` gets a Storage on a connection of the job's own, and
   * `finish(outcome)`, to be called inside the write transaction opened through that
   * Storage, last thing before it commits. finish checks that this worker still holds the
   * lease (else throws and the transaction rolls back) and marks the job completed in the
   * same transaction: the data and the job's end commit together, so a retried job never
   * applies twice. A handler that writes nothing need not use it: the worker then records
   * the outcome itself. `lookups`: a Storage whose reads run beside that connection without
   * waiting for it, where the engine has one (else undefined: read through the write's own).
   */
  write<T>(
    fn: (
      storage: Storage,
      finish: (outcome: JobOutcome) => Promise<void>,
      lookups: Storage | undefined,
    ) => Promise<T>,
  ): Promise<T>;
}

/**
 * Runs one job. Return the outcome (or call finish inside the write transaction).
 * Throw a core DomainError (Invalid with per-item issues, NotFound, …) for a job that can
 * never succeed: it ends `failed` at once. Any other error counts as an infrastructure
 * failure and the job is retried with exponential backoff, up to its max_attempts.
 */
export type JobHandler = (ctx: JobContext) => Promise<JobOutcome | undefined>;

export type JobHandlers = Readonly<Record<string, JobHandler>>;
