import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Store } from '../store/database.ts';
import { deletePayloadChunksFrom, endedJobsWithPayload, lastPayloadSeq } from '../store/jobs.ts';
import { writeTransaction } from '../store/transactions.ts';

// A job's payload (the batch or file it was given, in job_payload_chunks) is needed until
// the job ends; its row (status, counts, issues, result) is what clients read afterwards.
// Kept forever, the payloads grew with every batch and file. The worker's housekeeping
// deletes them once a job has been over for KPIHUB_JOB_PAYLOAD_RETENTION.

/** Chunks (~1 MB each) deleted per transaction: short ones, so a writer never waits long. */
const CHUNKS_PER_TRANSACTION = 16;
/** Jobs looked up per query. */
const JOBS_PER_ROUND = 50;

export interface PurgeCounts {
  jobs: number;
  chunks: number;
}

/**
 * Deletes the payload chunks of jobs that ended at or before `before`, in short
 * transactions, highest chunk first (so chunk 0, which endedJobsWithPayload looks for, goes
 * last and an interrupted purge is picked up again). Stops after `maxJobs` jobs; the next
 * round continues. Any number of workers may run it at once: a delete finds what is left.
 */
export async function purgeEndedPayloads(store: Store, before: string, maxJobs = 500): Promise<PurgeCounts> {
  const counts: PurgeCounts = { jobs: 0, chunks: 0 };
  while (counts.jobs < maxJobs) {
    const ids = await endedJobsWithPayload(store.db, before, Math.min(JOBS_PER_ROUND, maxJobs - counts.jobs));
    if (ids.length === 0) break;
    for (const id of ids) {
      for (;;) {
        const last = await lastPayloadSeq(store.db, id);
        if (last < 0) break;
        const from = Math.max(0, last - CHUNKS_PER_TRANSACTION + 1);
        await writeTransaction(store, (trx) => deletePayloadChunksFrom(trx, id, from));
        counts.chunks += last - from + 1;
        // Let requests run between transactions (SQLite's writer is this process's too).
        await nextTurn();
      }
      counts.jobs++;
    }
  }
  return counts;
}
