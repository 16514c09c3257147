import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Store } from '../store/database.ts';
import { insertPayloadChunk, payloadChunkCount, payloadChunkReader } from '../store/jobs.ts';
import type { DB } from '../store/schema.ts';
import { writeTransaction } from '../store/transactions.ts';
import { type Enqueued, type EnqueueOptions, insertJobRow } from './job-insert.ts';
import { payloadBytes, payloadPieces } from './spool.ts';
import { enqueueStaged, STAGE_BYTES } from './staging.ts';

// Accepting a job: its row and payload stored durably (enqueueJob), and reading the
// payload back in the worker (readPayload). Spooling is in spool.ts, the row and the
// Idempotency-Key rules in job-insert.ts, big payloads in staging.ts.

/** What a worker tells when it has ended a job ('ended'; /metrics counts them). */
export interface JobEnded {
  kind: string;
  status: string;
  attempts: number;
  /** Data points (or values, messages) it applied. */
  applied: number;
  /** From the first claim to the end (retries included); null when the row does not say. */
  seconds: number | null;
}

/**
 * In-process events: 'enqueued' wakes a local worker, which claims a new job at once instead
 * of at its next poll; 'ended' (a JobEnded) is observed by the metrics.
 */
export const queueEvents = new EventEmitter();
queueEvents.setMaxListeners(0);

/**
 * Inserts a job and its payload with the given transaction (the caller commits). Use it
 * to enqueue a job atomically with other writes; enqueueJob wraps it in a transaction.
 */
export async function enqueueJobIn(trx: Kysely<DB>, opts: EnqueueOptions): Promise<Enqueued> {
  const out = await insertJobRow(trx, opts, 'queued');
  if (out.created && opts.payload !== undefined) {
    let seq = 0;
    for await (const data of payloadPieces(opts.payload)) {
      await insertPayloadChunk(trx, { job_id: out.job.id, org_id: opts.actor.orgId, seq: seq++, data });
    }
  }
  return out;
}

/**
 * Stores a job and its payload, so an accepted job is never lost and never half-stored:
 * answer the client (202, job id) only after this resolves. A payload of at most
 * STAGE_BYTES is stored in one transaction. A bigger one is staged: the job's row is
 * committed as 'staging' (no worker claims it, no listing shows it, its Idempotency-Key
 * is taken), the payload follows in transactions of STAGE_BYTES with the event loop and
 * the writer free between them, and a last short transaction makes it 'queued'. If
 * anything fails on the way the staging job and its chunks are deleted; if the process
 * dies, the sweep at the next start deletes them (sweepStaleStagingJobs).
 *
 * A job with an ordering key is never staged: its id is its place in its key's order, so
 * it must be queued in the transaction that gives it that id (a Workiva batch is bounded
 * by KPIHUB_WORKIVA_MAX_BYTES anyway). The caller removes a spooled file afterwards.
 */
export async function enqueueJob(store: Store, opts: EnqueueOptions): Promise<Enqueued> {
  const { payload } = opts;
  const staged = payload !== undefined && !opts.orderingKey && payloadBytes(payload) > STAGE_BYTES;
  const out = staged
    ? await enqueueStaged(store, opts, payload)
    : await writeTransaction(store, (trx) => enqueueJobIn(trx, opts));
  if (out.created) queueEvents.emit('enqueued', opts.kind);
  return out;
}

/** A job's stored payload, chunk by chunk, in order. Memory holds one chunk at a time. */
export async function* readPayload(store: Store, jobId: string): AsyncIterable<Buffer> {
  const read = payloadChunkReader(store);
  for (let seq = 0; ; seq++) {
    const data = await read(jobId, seq);
    if (data === undefined) return;
    yield Buffer.isBuffer(data) ? data : Buffer.from(data);
  }
}

export { payloadChunkCount };
