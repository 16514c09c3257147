import { setImmediate as nextTurn } from 'node:timers/promises';
import { now } from '../core/clock.ts';
import type { Store } from '../store/database.ts';
import {
  deletePayloadChunksFrom,
  deleteStagingJob,
  insertPayloadChunk,
  lastPayloadSeq,
  queueStagedJob,
  staleStagingJobIds,
} from '../store/jobs.ts';
import { writeTransaction } from '../store/transactions.ts';
import { type Enqueued, type EnqueueOptions, insertJobRow } from './job-insert.ts';
import { PAYLOAD_CHUNK_BYTES, type PayloadSource, payloadBytes, payloadPieces } from './spool.ts';

// Big payloads are stored in several short transactions behind a 'staging' job row
// (see enqueueJob in queue.ts); what was left by a process that died is swept at start.

/**
 * Payloads bigger than this are staged: stored in transactions of at most this size.
 * One transaction of a whole 200 MB file held SQLite's event loop for ~1.8 s at its
 * commit (the writer's WAL checkpoint copied every page of it: the background
 * checkpointer cannot copy pages not yet committed) and kept every other writer out for
 * the seconds the inserts took. A commit of 4 MB takes tens of milliseconds.
 */
export const STAGE_BYTES = 4 * PAYLOAD_CHUNK_BYTES;

export async function enqueueStaged(
  store: Store,
  opts: EnqueueOptions,
  payload: PayloadSource,
): Promise<Enqueued> {
  const out = await writeTransaction(store, (trx) => insertJobRow(trx, opts, 'staging'));
  if (!out.created) return out;
  const { id } = out.job;
  const orgId = opts.actor.orgId;
  try {
    let seq = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = async () => {
      const pieces = batch;
      batch = [];
      batchBytes = 0;
      // The pieces are read before the transaction opens: it holds only the inserts.
      await writeTransaction(store, async (trx) => {
        for (const data of pieces)
          await insertPayloadChunk(trx, { job_id: id, org_id: orgId, seq: seq++, data });
      });
      // The commit was synchronous on SQLite: let requests that waited meanwhile run.
      await nextTurn();
    };
    let stored = 0;
    for await (const data of payloadPieces(payload)) {
      batch.push(data);
      batchBytes += data.length;
      stored += data.length;
      if (batchBytes >= STAGE_BYTES) await flush();
    }
    if (batch.length) await flush();
    // The job's payload_bytes (and its Idempotency-Key hash) describe the whole payload:
    // a spool file cut short is a failure, not a smaller job.
    if (stored !== payloadBytes(payload))
      throw new Error(`staging job ${id}: ${stored} bytes read, ${payloadBytes(payload)} expected`);
    const at = now();
    const queued = await writeTransaction(store, (trx) => queueStagedJob(trx, id, at));
    if (!queued) throw new Error(`staging job ${id} was removed before its payload was complete`);
    return { job: { ...out.job, status: 'queued', updated_at: at }, created: true };
  } catch (e) {
    // Best effort: what is left (the process dies now) goes at the next start's sweep.
    await removeStagingJob(store, id).catch(() => undefined);
    throw e;
  }
}

/**
 * Deletes a staging job and its payload, the chunks a few at a time from the last one
 * (on SQLite, deleting a 200 MB payload at once would hold the event loop like storing
 * it did), then the job's row.
 */
export async function removeStagingJob(store: Store, jobId: string): Promise<void> {
  const step = Math.max(1, Math.floor(STAGE_BYTES / PAYLOAD_CHUNK_BYTES));
  for (let from = (await lastPayloadSeq(store.db, jobId)) - step + 1; ; from -= step) {
    await writeTransaction(store, (trx) => deletePayloadChunksFrom(trx, jobId, Math.max(0, from)));
    if (from <= 0) break;
    await nextTurn();
  }
  await writeTransaction(store, (trx) => deleteStagingJob(trx, jobId));
}

/**
 * Deletes the staging jobs older than `graceMs`: an enqueue that was interrupted (the
 * process died) before its job was queued. A younger one may be another process's
 * enqueue in progress, and is kept.
 */
export async function sweepStaleStagingJobs(store: Store, graceMs: number, at = Date.now()): Promise<number> {
  const ids = await staleStagingJobIds(store.db, new Date(at - graceMs).toISOString());
  for (const id of ids) await removeStagingJob(store, id);
  return ids.length;
}
