import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { enqueueJob, type JobHandlers, type JobLogger, Worker } from '../../src/jobs/index.ts';
import { findJob } from '../../src/store/jobs.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// A stopping worker hands its running jobs back: the job is queued again at once, its lease
// released, the attempt its claim counted taken back, and a log line says so. A handler
// that never reaches a yield is handed back when the grace runs out, and what it does after
// can no longer end the job.

/** A logger that keeps its lines. */
function recordingLogger(lines: { msg: string; bindings: Record<string, unknown> }[]): JobLogger {
  const make = (bindings: Record<string, unknown>): JobLogger => ({
    info: (_o, msg) => lines.push({ msg: msg ?? '', bindings }),
    warn: (_o, msg) => lines.push({ msg: msg ?? '', bindings }),
    error: (_o, msg) => lines.push({ msg: msg ?? '', bindings }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return make({});
}

describe.each(engines())('a stopping worker hands its running job back [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const actor = (): Actor => ({ orgId: ctx().orgA.id, actor: 'tester', keyId: 'k', scopes: ['write'] });
  const job = async (id: string) => (await findJob(ctx().store.db, ctx().orgA.id, id))!;
  const untilRunning = async (id: string) => {
    for (let i = 0; i < 500 && (await job(id)).status !== 'running'; i++) await sleep(10);
    expect((await job(id)).status).toBe('running');
  };

  it('at its next yield: queued again, attempt not counted, said in the log; then run once', async () => {
    const { store } = ctx();
    const lines: { msg: string; bindings: Record<string, unknown> }[] = [];
    let yields = 0;
    const slow: JobHandlers = {
      'handback.slow': async (c) => {
        for (;;) {
          await c.yield();
          yields++;
          await sleep(5);
        }
      },
    };
    const worker = new Worker({ store, handlers: slow, pollMs: 10, logger: recordingLogger(lines) }).start();
    const { job: row } = await enqueueJob(store, { actor: actor(), kind: 'handback.slow', maxAttempts: 2 });
    await untilRunning(row.id);
    for (let i = 0; i < 500 && yields < 3; i++) await sleep(10);
    expect(yields).toBeGreaterThanOrEqual(3);
    const started = Date.now();
    await worker.stop(5000);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await job(row.id)).toMatchObject({
      status: 'queued',
      attempts: 0,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: null,
    });
    expect(lines).toContainEqual({
      msg: expect.stringMatching(/^job handed back on shutdown/),
      bindings: expect.objectContaining({ jobId: row.id }),
    });

    // Another worker takes it up at once and runs it, as its first attempt.
    const next = new Worker({ store, handlers: { 'handback.slow': async () => ({ applied: 1 }) } });
    expect(await next.drain()).toBe(1);
    expect(await job(row.id)).toMatchObject({ status: 'completed', attempts: 1, applied: 1 });
  });

  it('when the grace runs out before a yield: handed back all the same, and its late end is refused', async () => {
    const { store } = ctx();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let returned = false;
    const stuck: JobHandlers = {
      'handback.stuck': async () => {
        await gate; // never yields
        returned = true;
        return { applied: 7 };
      },
    };
    const worker = new Worker({ store, handlers: stuck, pollMs: 10 }).start();
    const { job: row } = await enqueueJob(store, { actor: actor(), kind: 'handback.stuck' });
    await untilRunning(row.id);
    const started = Date.now();
    await worker.stop(300);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await job(row.id)).toMatchObject({ status: 'queued', attempts: 0, lease_owner: null });
    release();
    for (let i = 0; i < 100 && !returned; i++) await sleep(10);
    await sleep(50);
    expect(returned).toBe(true);
    expect(await job(row.id)).toMatchObject({ status: 'queued', attempts: 0, applied: 0, finished_at: null });
  });
});
