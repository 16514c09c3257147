import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Conflict } from '../../src/core/errors.ts';
import { ACHIEVEIT_JOB_KINDS } from '../../src/dialects/achieveit/csv-jobs.ts';
import {
  type Enqueued,
  enqueueJob,
  type SpooledFile,
  STAGE_BYTES,
  sweepStaleStagingJobs,
} from '../../src/jobs/index.ts';
import { claimJob, listJobs } from '../../src/store/jobs.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// A payload bigger than STAGE_BYTES is stored in several short transactions under a
// 'staging' job, flipped to 'queued' at the end. Meanwhile the job must not exist for
// anyone but the Idempotency-Key check; a failure must leave nothing; what a crash leaves
// is swept at the next start. A named pipe stands in for the spool file, so the test
// decides when the payload stops arriving.

const dir = mkdtempSync(join(tmpdir(), 'kpihub-staging-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A "spool file" that is a FIFO: the enqueue reads what `write` sends, until `end`. */
function pipeSpool(bytes: number) {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.part`);
  execFileSync('mkfifo', [path]);
  const payload = Buffer.alloc(bytes, 'x');
  const file: SpooledFile = {
    path,
    bytes,
    sha256: createHash('sha256').update(payload).digest('hex'),
    remove: async () => rmSync(path, { force: true }),
  };
  const out = createWriteStream(path);
  // An enqueue that failed closed its end of the pipe: later writes go nowhere (EPIPE).
  out.on('error', () => undefined);
  const write = (n: number) =>
    new Promise<void>((resolve) => out.write(payload.subarray(0, n), () => resolve()));
  const end = () => new Promise<void>((resolve) => out.end(() => resolve()));
  return { file, write, end };
}

describe.each(engines())('staged payloads [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const actor = (): Actor => ({ orgId: ctx().orgA.id, actor: 'tester', keyId: 'k', scopes: ['write'] });
  const jobRows = (kind: string) =>
    ctx().store.db.selectFrom('jobs').select(['id', 'status']).where('kind', '=', kind).execute();
  const chunkCount = async (jobId: string) =>
    Number(
      (
        await ctx()
          .store.db.selectFrom('job_payload_chunks')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('job_id', '=', jobId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** Waits until the job's row and at least one transaction of its payload are committed. */
  const stagingJob = async (kind: string) => {
    for (let i = 0; i < 500; i++) {
      const [row] = await jobRows(kind);
      if (row && (await chunkCount(row.id)) > 0) return row;
      await sleep(10);
    }
    throw new Error('no staging job appeared');
  };

  it('a staging job is invisible to workers, listings and the status routes; a replay of its key is a Conflict', async () => {
    const { store } = ctx();
    const kind = ACHIEVEIT_JOB_KINDS.metricupdates;
    const size = STAGE_BYTES * 2 + 123;
    const pipe = pipeSpool(size);
    const enqueued: Promise<Enqueued> = enqueueJob(store, {
      actor: actor(),
      kind,
      payload: pipe.file,
      idempotencyKey: 'staged-1',
    });
    await pipe.write(STAGE_BYTES + 10);
    const row = await stagingJob(kind);
    expect(row.status).toBe('staging');
    const lease = () => [new Date().toISOString(), new Date(Date.now() + 60_000).toISOString()] as const;
    expect(await claimJob(store, [kind], 'w/1', ...lease())).toBeUndefined();
    expect((await listJobs(store.db, ctx().orgA.id, { limit: 100 })).map((j) => j.id)).not.toContain(row.id);
    const listed = await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/imports' });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((i: { id: string }) => i.id)).not.toContain(row.id);
    const native = await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/imports/${row.id}` });
    expect(native.statusCode).toBe(404);
    expect(native.json()).toMatchObject({ status: 404, type: expect.any(String) });
    const achieveit = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/api/metricupdates/status/${row.id}`,
    });
    expect(achieveit.statusCode).toBe(404);
    expect(achieveit.json()).toEqual({ message: expect.any(String) });
    await expect(
      enqueueJob(store, { actor: actor(), kind, payload: 'REV,1,2024-01-01\n', idempotencyKey: 'staged-1' }),
    ).rejects.toBeInstanceOf(Conflict);
    // The rest arrives: the job is queued, whole, and only now claimable.
    await pipe.write(size - STAGE_BYTES - 10);
    await pipe.end();
    const { job, created } = await enqueued;
    expect(created).toBe(true);
    expect(job).toMatchObject({ id: row.id, status: 'queued', payload_bytes: size });
    const stored = await store.db
      .selectFrom('job_payload_chunks')
      .select(['data'])
      .where('job_id', '=', row.id)
      .execute();
    expect(stored.reduce((n, c) => n + c.data.length, 0)).toBe(size);
    expect(await jobRows(kind)).toEqual([{ id: row.id, status: 'queued' }]);
    const claimed = await claimJob(store, [kind], 'w/1', ...lease());
    expect(claimed?.id).toBe(row.id);
    // Left as failed, so no other test's worker picks it up.
    await store.db.updateTable('jobs').set({ status: 'failed' }).where('id', '=', row.id).execute();
  });

  it('a failure in the middle of staging leaves no job and no payload chunks', async () => {
    const { store } = ctx();
    const kind = 't.staging-fails';
    const size = STAGE_BYTES * 3;
    const pipe = pipeSpool(size);
    const enqueued = enqueueJob(store, {
      actor: actor(),
      kind,
      payload: pipe.file,
      idempotencyKey: 'staged-2',
    });
    await pipe.write(STAGE_BYTES * 2);
    const row = await stagingJob(kind);
    // The spool file ends short of what was hashed and counted: the enqueue fails.
    await pipe.end();
    await expect(enqueued).rejects.toThrow(/expected/);
    expect(await jobRows(kind)).toEqual([]);
    expect(await chunkCount(row.id)).toBe(0);
    // The key is free again: nothing was accepted under it.
    const payload = Buffer.alloc(STAGE_BYTES + 1, 'y');
    const again = await enqueueJob(store, { actor: actor(), kind, payload, idempotencyKey: 'staged-2' });
    expect(again).toMatchObject({ created: true, job: { status: 'queued', payload_bytes: STAGE_BYTES + 1 } });
    expect(await chunkCount(again.job.id)).toBe(Math.ceil((STAGE_BYTES + 1) / (1024 * 1024)));
  });

  it('the sweep removes a staging job older than the grace period, with its chunks, and keeps a fresh one', async () => {
    const { store } = ctx();
    const kind = 't.staging-crashed';
    const pipes = [pipeSpool(STAGE_BYTES * 3), pipeSpool(STAGE_BYTES * 3)];
    // Two enqueues stopped half-way, as a process killed while storing would leave them.
    const pending = pipes.map((p) =>
      enqueueJob(store, { actor: actor(), kind, payload: p.file }).catch((e: Error) => e),
    );
    for (const p of pipes) await p.write(STAGE_BYTES + 1);
    for (let i = 0; i < 500; i++) {
      const rows = await jobRows(kind);
      const withChunks = await Promise.all(rows.map((r) => chunkCount(r.id)));
      if (rows.length === 2 && withChunks.every((n) => n > 0)) break;
      await sleep(10);
    }
    const rows = await jobRows(kind);
    expect(rows.map((r) => r.status)).toEqual(['staging', 'staging']);
    const [old, fresh] = rows;
    await store.db
      .updateTable('jobs')
      .set({ created_at: new Date(Date.now() - 3600_000).toISOString() })
      .where('id', '=', old.id)
      .execute();
    expect(await sweepStaleStagingJobs(store, 60_000)).toBe(1);
    expect((await jobRows(kind)).map((r) => r.id)).toEqual([fresh.id]);
    expect(await chunkCount(old.id)).toBe(0);
    expect(await chunkCount(fresh.id)).toBeGreaterThan(0);
    // The enqueue whose job was swept fails (never a 202 for a job that is gone); the
    // fresh one completes.
    for (const p of pipes) {
      await p.write(STAGE_BYTES * 2 - 1);
      await p.end();
    }
    const results = await Promise.all(pending);
    expect(results.filter((r) => r instanceof Error)).toHaveLength(1);
    expect(results.find((r) => !(r instanceof Error))).toMatchObject({
      created: true,
      job: { id: fresh.id, status: 'queued' },
    });
    expect(await jobRows(kind)).toEqual([{ id: fresh.id, status: 'queued' }]);
    expect(await chunkCount(old.id)).toBe(0);
  });
});
