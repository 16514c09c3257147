import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Invalid } from '../../src/core/errors.ts';
import { enqueueJob, type JobHandlers, Worker } from '../../src/jobs/index.ts';
import { claimJob, findJob, insertPayloadChunk } from '../../src/store/jobs.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// KPIHUB_JOB_PAYLOAD_RETENTION: the worker's housekeeping deletes the payload of a job that
// has been over for the retention, in short transactions; a queued or running job keeps
// its payload, and an ended job keeps its row (status, counts, issues, result).

const later = (ms: number) => new Date(Date.now() + ms).toISOString();
const HOUR = 3600_000;

describe.each(engines())('job payload retention [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const actor = (): Actor => ({ orgId: ctx().orgA.id, actor: 'tester', keyId: 'k', scopes: ['write'] });
  const chunks = async (jobId: string) =>
    (
      await ctx()
        .store.db.selectFrom('job_payload_chunks')
        .select('seq')
        .where('job_id', '=', jobId)
        .orderBy('seq')
        .execute()
    ).map((c) => c.seq);
  /** A job whose payload is `n` chunks (small ones: the purge counts rows, not bytes). */
  const jobWithChunks = async (kind: string, n: number) => {
    const { job } = await enqueueJob(ctx().store, { actor: actor(), kind, payload: 'chunk 0\n' });
    for (let seq = 1; seq < n; seq++) {
      await insertPayloadChunk(ctx().store.db, {
        job_id: job.id,
        org_id: ctx().orgA.id,
        seq,
        data: Buffer.from(`chunk ${seq}\n`),
      });
    }
    return job.id;
  };
  const handlers: JobHandlers = {
    'retention.ok': async (c) => {
      let lines = 0;
      for await (const piece of c.payload()) lines += String(piece).split('\n').length - 1;
      return { received: lines, applied: lines, result: { url: '/done' } };
    },
    'retention.bad': async () => {
      throw new Invalid([{ field: 'data[0].value', message: 'not a number' }]);
    },
  };

  it('deletes the payloads of ended jobs past the retention, keeps queued and running ones', async () => {
    const { store } = ctx();
    // 40 chunks: the purge takes them in several transactions.
    const completed = await jobWithChunks('retention.ok', 40);
    const failed = await jobWithChunks('retention.bad', 3);
    const worker = new Worker({ store, handlers, payloadRetentionMs: HOUR });
    expect(await worker.drain()).toBe(2);
    const queued = await jobWithChunks('retention.unhandled', 2);
    const running = await jobWithChunks('retention.held', 2);
    expect(await claimJob(store, ['retention.held'], 'other/1', later(0), later(HOUR))).toMatchObject({
      id: running,
      status: 'running',
    });

    // Ended a moment ago: within the hour, nothing goes.
    expect(await worker.housekeep()).toEqual({ jobs: 0, chunks: 0 });
    expect(await chunks(completed)).toHaveLength(40);

    // Two hours on: the ended jobs' payloads go, the others stay.
    expect(await worker.housekeep(later(2 * HOUR))).toEqual({ jobs: 2, chunks: 43 });
    expect(await chunks(completed)).toEqual([]);
    expect(await chunks(failed)).toEqual([]);
    expect(await chunks(queued)).toEqual([0, 1]);
    expect(await chunks(running)).toEqual([0, 1]);

    // What clients read of the ended jobs is all still there.
    expect(await findJob(store.db, ctx().orgA.id, completed)).toMatchObject({
      status: 'completed',
      received: 40,
      applied: 40,
      result: JSON.stringify({ url: '/done' }),
    });
    const failedRow = await findJob(store.db, ctx().orgA.id, failed);
    expect(failedRow?.status).toBe('failed');
    expect(JSON.parse(failedRow?.errors ?? '[]')).toEqual([
      expect.objectContaining({ field: 'data[0].value', message: 'not a number' }),
    ]);

    // Nothing left to do.
    expect(await worker.housekeep(later(2 * HOUR))).toEqual({ jobs: 0, chunks: 0 });
  });

  it('with a retention of 0, a running worker deletes a payload as soon as its job ends', async () => {
    const { store } = ctx();
    const worker = new Worker({ store, handlers, payloadRetentionMs: 0, pollMs: 20 }).start();
    try {
      // Its whole payload enqueued at once: the running worker may claim it at once.
      const { job } = await enqueueJob(store, { actor: actor(), kind: 'retention.ok', payload: 'a\nb\nc\n' });
      const id = job.id;
      for (let i = 0; i < 250 && (await chunks(id)).length > 0; i++) await sleep(20);
      expect(await chunks(id)).toEqual([]);
      expect(await findJob(store.db, ctx().orgA.id, id)).toMatchObject({ status: 'completed', applied: 3 });
    } finally {
      await worker.stop();
    }
  });
});
