import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Invalid } from '../../src/core/errors.ts';
import {
  enqueueJob,
  type JobHandlers,
  LeaseLost,
  PAYLOAD_CHUNK_BYTES,
  payloadLines,
  readPayload,
  Worker,
} from '../../src/jobs/index.ts';
import { recordEnd } from '../../src/jobs/job-end.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { claimJob, findJob } from '../../src/store/jobs.ts';
import { writeTransaction } from '../../src/store/transactions.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

const iso = (ms = 0) => new Date(Date.now() + ms).toISOString();

describe.each(engines())('job queue [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const actor = (): Actor => ({ orgId: ctx().orgA.id, actor: 'tester', keyId: 'k', scopes: ['write'] });
  const job = async (id: string) => (await findJob(ctx().store.db, ctx().orgA.id, id))!;
  const worker = (handlers: JobHandlers, extra: Partial<ConstructorParameters<typeof Worker>[0]> = {}) =>
    new Worker({ store: ctx().store, handlers, leaseSeconds: 5, pollMs: 20, retryBaseMs: 20, ...extra });
  /** Ends every job still open from earlier tests, so each test claims only its own. */
  const clearQueue = () =>
    ctx()
      .store.db.updateTable('jobs')
      .set({ status: 'failed' })
      .where('status', 'in', ['queued', 'running'])
      .execute();

  it('stores a job and its payload in ~1 MB chunks and reads it back in order', async () => {
    const payload = Buffer.alloc(Math.floor(PAYLOAD_CHUNK_BYTES * 2.5));
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const { job: row, created } = await enqueueJob(ctx().store, { actor: actor(), kind: 't.store', payload });
    expect(created).toBe(true);
    expect(row).toMatchObject({ status: 'queued', attempts: 0, payload_bytes: payload.length });
    const chunks = await ctx()
      .store.db.selectFrom('job_payload_chunks')
      .select(['seq'])
      .where('job_id', '=', row.id)
      .orderBy('seq')
      .execute();
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2]);
    const back: Buffer[] = [];
    for await (const c of readPayload(ctx().store, row.id)) back.push(c);
    expect(Buffer.concat(back).equals(payload)).toBe(true);
  });

  it('splits a chunked payload into lines, joining lines and characters cut at chunk edges', async () => {
    const text = `${'é'.repeat(PAYLOAD_CHUNK_BYTES / 2 - 1)}x\nsecond\nthird`;
    const { job: row } = await enqueueJob(ctx().store, { actor: actor(), kind: 't.lines', payload: text });
    const lines: string[] = [];
    for await (const part of payloadLines(readPayload(ctx().store, row.id))) lines.push(...part);
    expect(lines).toEqual([`${'é'.repeat(PAYLOAD_CHUNK_BYTES / 2 - 1)}x`, 'second', 'third']);
  });

  it('leases a claimed job: nobody else claims it until the lease expires, then the first holder cannot end it', async () => {
    await clearQueue();
    const { store } = ctx();
    const { job: row } = await enqueueJob(store, { actor: actor(), kind: 't.lease' });
    const first = await claimJob(store, ['t.lease'], 'w1/a', iso(), iso(60_000));
    expect(first).toMatchObject({ id: row.id, status: 'running', attempts: 1, lease_owner: 'w1/a' });
    expect(await claimJob(store, ['t.lease'], 'w2/b', iso(), iso(60_000))).toBeUndefined();
    // Its worker died: the lease runs out.
    await store.db
      .updateTable('jobs')
      .set({ lease_expires_at: iso(-1000) })
      .where('id', '=', row.id)
      .execute();
    const second = await claimJob(store, ['t.lease'], 'w2/b', iso(), iso(60_000));
    expect(second).toMatchObject({ id: row.id, attempts: 2, lease_owner: 'w2/b' });
    // The first worker comes back to life and tries to finish: refused, nothing committed.
    await expect(
      writeTransaction(store, async (trx) => {
        const ended = await recordEnd(trx, first!, 'w1/a', {
          status: 'completed',
          applied: 1,
          rejected: 0,
          errors: null,
          result: null,
          progress: null,
        });
        if (!ended) throw new LeaseLost(row.id);
      }),
    ).rejects.toBeInstanceOf(LeaseLost);
    expect((await job(row.id)).status).toBe('running');
  });

  it('runs a handler, commits its write together with the job end, and reports progress', async () => {
    await clearQueue();
    const { store } = ctx();
    const { job: row } = await enqueueJob(store, {
      actor: actor(),
      kind: 't.write',
      payload: 'a\nb\nc',
      meta: { name: 'written-by-job' },
      received: 3,
    });
    const seen: { jobId?: string; orgId: string }[] = [];
    const w = worker({
      't.write': async (c) => {
        seen.push({ jobId: c.actor.jobId, orgId: c.actor.orgId });
        let n = 0;
        for await (const lines of payloadLines(c.payload())) n += lines.length;
        c.progress({ read: n });
        await c.yield();
        await c.write((storage, finish) =>
          storage.transaction(async (tx) => {
            await tx.insertOrganization(String(c.meta.name));
            await finish({ received: n, applied: n, result: { url: '/somewhere' } });
          }),
        );
        return undefined;
      },
    });
    expect(await w.drain()).toBe(1);
    const done = await job(row.id);
    expect(done).toMatchObject({ status: 'completed', attempts: 1, received: 3, applied: 3, rejected: 0 });
    expect(JSON.parse(done.result!)).toEqual({ url: '/somewhere' });
    expect(JSON.parse(done.progress!)).toEqual({ read: 3 });
    expect(done.finished_at).not.toBeNull();
    expect(done.lease_owner).toBeNull();
    expect(seen).toEqual([{ jobId: row.id, orgId: ctx().orgA.id }]);
    const orgs = await store.db
      .selectFrom('organizations')
      .select('id')
      .where('name', '=', 'written-by-job')
      .execute();
    expect(orgs).toHaveLength(1);
  });

  it('rolls the write back when the lease was lost before the job could end', async () => {
    await clearQueue();
    const { store } = ctx();
    const { job: row } = await enqueueJob(store, {
      actor: actor(),
      kind: 't.lost',
      meta: { name: 'lost-write' },
    });
    const w = worker({
      't.lost': async (c) => {
        // Another worker took the job over meanwhile (our lease had expired).
        await store.db.updateTable('jobs').set({ lease_owner: 'other/x' }).where('id', '=', row.id).execute();
        await c.write((storage, finish) =>
          storage.transaction(async (tx) => {
            await tx.insertOrganization('lost-write');
            await finish({ applied: 1 });
          }),
        );
        return undefined;
      },
    });
    await w.drain();
    const after = await job(row.id);
    expect(after).toMatchObject({ status: 'running', lease_owner: 'other/x' });
    expect(
      await store.db.selectFrom('organizations').select('id').where('name', '=', 'lost-write').execute(),
    ).toHaveLength(0);
  });

  it('retries infrastructure errors with backoff and ends failed at once on a validation failure', async () => {
    await clearQueue();
    const { store } = ctx();
    const flaky = (await enqueueJob(store, { actor: actor(), kind: 't.flaky' })).job;
    const invalid = (await enqueueJob(store, { actor: actor(), kind: 't.invalid', maxAttempts: 5 })).job;
    let calls = 0;
    const w = worker(
      {
        't.flaky': async () => {
          calls++;
          if (calls < 3) throw new Error('connection reset');
          return { applied: 7 };
        },
        't.invalid': async () => {
          throw new Invalid([
            { field: 'data[2].value', message: 'must be a decimal number' },
            { field: 'data[2].notes', message: 'too long' },
            { field: 'data[5].value', message: 'must be a decimal number' },
          ]);
        },
      },
      { retryBaseMs: 200 },
    );
    await w.drain();
    // First attempt failed: back in the queue, not due before its backoff.
    const waiting = await job(flaky.id);
    expect(waiting).toMatchObject({ status: 'queued', attempts: 1, last_error: 'connection reset' });
    // Backoff 200 ms ±25% after the first attempt.
    expect(Date.parse(waiting.run_after) - Date.parse(waiting.updated_at)).toBeGreaterThanOrEqual(150);
    const failed = await job(invalid.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, rejected: 2, applied: 0 });
    expect(JSON.parse(failed.errors!)).toHaveLength(3);
    w.start();
    await waitFor(async () => (await job(flaky.id)).status === 'completed', 5000);
    await w.stop();
    expect(await job(flaky.id)).toMatchObject({
      status: 'completed',
      attempts: 3,
      applied: 7,
      last_error: null,
    });
  });

  it('gives up after max_attempts infrastructure failures', async () => {
    await clearQueue();
    const { job: row } = await enqueueJob(ctx().store, { actor: actor(), kind: 't.broken', maxAttempts: 2 });
    const w = worker({
      't.broken': async () => {
        throw new Error('disk on fire');
      },
    }).start();
    await waitFor(async () => (await job(row.id)).status === 'failed', 5000);
    await w.stop();
    const failed = await job(row.id);
    expect(failed.attempts).toBe(2);
    expect(JSON.parse(failed.errors!)[0].message).toMatch(/after 2 attempts/);
  });

  it('runs jobs with one ordering key one at a time, in acceptance order; other keys pass', async () => {
    await clearQueue();
    const { store } = ctx();
    const a = (await enqueueJob(store, { actor: actor(), kind: 't.order', orderingKey: 'metric:1' })).job;
    const b = (await enqueueJob(store, { actor: actor(), kind: 't.order', orderingKey: 'metric:1' })).job;
    const c = (await enqueueJob(store, { actor: actor(), kind: 't.order', orderingKey: 'metric:2' })).job;
    const first = await claimJob(store, ['t.order'], 'w/1', iso(), iso(60_000));
    expect(first?.id).toBe(a.id);
    // b waits for a (same key, still running); c has its own key.
    const second = await claimJob(store, ['t.order'], 'w/2', iso(), iso(60_000));
    expect(second?.id).toBe(c.id);
    expect(await claimJob(store, ['t.order'], 'w/3', iso(), iso(60_000))).toBeUndefined();
    // A retry waiting for its backoff still holds the line.
    await store.db
      .updateTable('jobs')
      .set({ status: 'queued', lease_owner: null, run_after: iso(60_000) })
      .where('id', '=', a.id)
      .execute();
    expect(await claimJob(store, ['t.order'], 'w/3', iso(), iso(60_000))).toBeUndefined();
    await store.db.updateTable('jobs').set({ status: 'completed' }).where('id', '=', a.id).execute();
    expect((await claimJob(store, ['t.order'], 'w/3', iso(), iso(60_000)))?.id).toBe(b.id);
  });

  it("a running job sees the next job queued under its key: its organization's, not yet running", async () => {
    await clearQueue();
    const { store } = ctx();
    const enqueue = (orgId: string, orderingKey: string, payload: string, meta = {}) =>
      enqueueJob(store, {
        actor: { ...actor(), orgId },
        kind: 't.look',
        orderingKey,
        payload: Buffer.from(payload),
        meta,
      }).then((r) => r.job);
    const a = await enqueue(ctx().orgA.id, 'metric:9', 'a');
    await enqueue(ctx().orgB.id, 'metric:9', 'another organization');
    await enqueue(ctx().orgA.id, 'metric:8', 'another key');
    const c = await enqueue(ctx().orgA.id, 'metric:9', 'c', { metricId: 'm9' });
    const seen: Record<string, unknown>[] = [];
    const look: JobHandlers = {
      't.look': async (jc) => {
        const next = await jc.nextInOrder();
        const payload: Buffer[] = [];
        for await (const chunk of next?.payload() ?? []) payload.push(chunk);
        seen.push({
          job: jc.job.id,
          next: next?.id,
          kind: next?.kind,
          meta: next?.meta,
          payload: `${Buffer.concat(payload)}`,
        });
        return {};
      },
    };
    const first = await claimJob(store, ['t.look'], 'w/1', iso(), iso(60_000));
    expect(first?.id).toBe(a.id);
    await store.db
      .updateTable('jobs')
      .set({ status: 'queued', lease_owner: null })
      .where('id', '=', a.id)
      .execute();
    await worker(look).drain();
    const mine = seen.filter((s) => s.job === a.id || s.job === c.id);
    expect(mine).toEqual([
      {
        job: a.id,
        next: c.id,
        kind: 't.look',
        meta: expect.objectContaining({ metricId: 'm9' }),
        payload: 'c',
      },
      // The last of its key: nothing queued after it (another organization's job with the same key is not).
      { job: c.id, next: undefined, kind: undefined, meta: undefined, payload: '' },
    ]);
  });

  it('two workers on separate connections never run one job at the same time, and run each once', async () => {
    await clearQueue();
    const other: Store = openStore(ctx().database.url, { poolSize: 4 });
    try {
      const ids = [];
      for (let i = 0; i < 24; i++)
        ids.push((await enqueueJob(ctx().store, { actor: actor(), kind: 't.race' })).job.id);
      const running = new Set<string>();
      const runs: string[] = [];
      let overlap = 0;
      const handler = async (c: { job: { id: string } }) => {
        if (running.has(c.job.id)) overlap++;
        running.add(c.job.id);
        runs.push(c.job.id);
        await sleep(5);
        running.delete(c.job.id);
        return { applied: 1 };
      };
      const w1 = new Worker({
        store: ctx().store,
        handlers: { 't.race': handler },
        concurrency: 3,
        pollMs: 10,
        id: 'w1',
      });
      const w2 = new Worker({
        store: other,
        handlers: { 't.race': handler },
        concurrency: 3,
        pollMs: 10,
        id: 'w2',
      });
      w1.start();
      w2.start();
      await waitFor(async () => {
        const rows = await ctx()
          .store.db.selectFrom('jobs')
          .select('status')
          .where('kind', '=', 't.race')
          .execute();
        return rows.every((r) => r.status === 'completed');
      }, 15_000);
      await Promise.all([w1.stop(), w2.stop()]);
      expect(overlap).toBe(0);
      expect(runs.sort()).toEqual([...ids].sort());
      const attempts = await ctx()
        .store.db.selectFrom('jobs')
        .select('attempts')
        .where('kind', '=', 't.race')
        .execute();
      expect(attempts.every((r) => r.attempts === 1)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('a worker claims only the kinds it has handlers for', async () => {
    await clearQueue();
    const { job: row } = await enqueueJob(ctx().store, { actor: actor(), kind: 't.unknown-kind' });
    expect(await worker({ 't.other': async () => undefined }).drain()).toBe(0);
    expect((await job(row.id)).status).toBe('queued');
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error('timed out waiting');
}
