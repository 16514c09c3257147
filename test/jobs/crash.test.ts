import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { createProgram, operationPathOf, valuesUrl } from '../helpers/workiva.ts';

// A worker process is killed (SIGKILL) while it applies a large batch; another one takes
// the job up when the lease expires, and the batch is applied exactly once.

describe.each(engines())('a worker killed in the middle of a batch [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const children: ChildProcess[] = [];

  const startWorker = () => {
    const child = spawn(process.execPath, ['bin/kpihub.mjs', 'worker'], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        KPIHUB_DATABASE_URL: ctx().database.env,
        KPIHUB_JOB_LEASE_SECONDS: '2',
        KPIHUB_JOB_POLL_MS: '50',
        KPIHUB_WORKERS: '1',
        KPIHUB_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    return child;
  };

  const jobRow = (id: string) =>
    ctx().store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  /** True while some connection holds the database's write transaction for this metric. */
  const writing = async (): Promise<boolean> => {
    if (engine === 'postgres') {
      // A worker's connection inside a transaction that has written (it has a transaction
      // id) for a while: the batch's, which stages its values and then writes the points
      // (writers lock points, not metrics; short job updates come and go in milliseconds).
      const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where application_name like 'kpihub-worker%' and backend_xid is not null
          and now() - xact_start > interval '100 milliseconds'`.execute(ctx().store.db);
      return r.rows[0].n > 0;
    }
    const probe = new SQLite(ctx().database.env.slice('sqlite:'.length));
    try {
      probe.pragma('busy_timeout = 0');
      probe.exec('begin immediate');
      probe.exec('rollback');
      return false;
    } catch {
      return true;
    } finally {
      probe.close();
    }
  };

  it('completes exactly once after SIGKILL and a restart', { timeout: 240_000 }, async () => {
    const p = await createProgram(ctx(), ctx().orgA.admin);
    const n = engine === 'sqlite' ? 40_000 : 8_000;
    const data = Array.from({ length: n }, (_, i) => ({
      reportingPeriod: { year: 1900 + Math.floor(i / 12), start: (i % 12) + 1, end: (i % 12) + 1 },
      coordinates: { [p.dimensionId]: `Site ${i % 5}` },
      value: `${i}.5`,
    }));
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: `${valuesUrl(p)}/batchUpsertion`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ data }),
    });
    expect(res.statusCode, res.body).toBe(202);
    const jobId = operationPathOf(res).split('/').pop() as string;
    try {
      const first = startWorker();
      // Wait until the worker is inside the batch's write transaction (seen twice, apart).
      let seen = 0;
      for (let i = 0; seen < 2; i++) {
        if (i > 2000) throw new Error('the worker never started writing');
        const row = await jobRow(jobId);
        expect(row.status).not.toBe('completed');
        seen = row.status === 'running' && (await writing()) ? seen + 1 : 0;
        await sleep(50);
      }
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const killed = await jobRow(jobId);
      expect(killed).toMatchObject({ status: 'running', attempts: 1 });
      const countPoints = async () =>
        Number(
          (
            await ctx()
              .store.db.selectFrom('data_points')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('metric_id', '=', p.metricId)
              .executeTakeFirstOrThrow()
          ).n,
        );
      expect(await countPoints()).toBe(0);

      startWorker();
      const until = Date.now() + 200_000;
      let row = await jobRow(jobId);
      while (row.status !== 'completed' && row.status !== 'failed') {
        if (Date.now() > until) throw new Error(`job still ${row.status}`);
        await sleep(100);
        row = await jobRow(jobId);
      }
      expect(row).toMatchObject({ status: 'completed', attempts: 2, received: n, applied: n, rejected: 0 });
      expect(await countPoints()).toBe(n);
      const revisions = await ctx()
        .store.db.selectFrom('point_revisions')
        .select(['job_id', 'op'])
        .where('metric_id', '=', p.metricId)
        .execute();
      expect(revisions).toHaveLength(n);
      expect(revisions.every((r) => r.job_id === jobId && r.op === 'insert')).toBe(true);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    }
  });
});
