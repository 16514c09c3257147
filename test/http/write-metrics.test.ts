import { describe, expect, it } from 'vitest';
import { jobHandlers } from '../../src/job-handlers.ts';
import { Worker } from '../../src/jobs/index.ts';
import { openStore } from '../../src/store/database.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { createProgram, valuesUrl } from '../helpers/workiva.ts';

// /metrics on the write side: points written by path (a request's route, a job's kind), the
// jobs that end inside their own write transaction counted as ended, and the database
// connections in use and waited for.

const NATIVE = 'PUT /v1/metrics/:id/data_points';
const VISIBLE = 'PUT /metrics/:metric_id/data_points';

describe.each(engines())('write rates and connections in /metrics [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const scrape = async () => (await ctx().app.inject({ method: 'GET', url: '/metrics' })).body;
  /** A sample's value, or undefined when the series is not there. */
  const sample = (body: string, series: string) =>
    body
      .split('\n')
      .find((l) => l.startsWith(`${series} `))
      ?.split(' ')
      .at(-1);
  const written = async (path: string) =>
    Number(sample(await scrape(), `kpihub_points_written_total{path="${path}"}`) ?? 0);
  const put = (url: string, data_points: object[]) =>
    ctx().call(ctx().orgA.write, { method: 'PUT', url, payload: { data_points } });

  it('counts the points each route wrote: inserts and updates, not unchanged points or refused writes', async () => {
    const m = (
      await ctx().call(ctx().orgA.write, {
        method: 'POST',
        url: '/v1/metrics',
        payload: { name: 'Rates', value_type: 'number' },
      })
    ).json() as { id: string };
    const native = await written(NATIVE);
    const days = ['2024-01-01', '2024-01-02', '2024-01-03'];
    expect(
      (
        await put(
          `/v1/metrics/${m.id}/data_points`,
          days.map((date) => ({ date, value: '1' })),
        )
      ).statusCode,
    ).toBe(200);
    expect(await written(NATIVE)).toBe(native + 3);
    // One changed, two as they were.
    const again = days.map((date, i) => ({ date, value: i === 0 ? '2' : '1' }));
    expect((await put(`/v1/metrics/${m.id}/data_points`, again)).statusCode).toBe(200);
    expect(await written(NATIVE)).toBe(native + 4);
    // Refused whole: nothing written, nothing counted.
    const bad = await put(`/v1/metrics/${m.id}/data_points`, [{ date: '2024-02-01', value: 'ten' }]);
    expect(bad.statusCode).toBe(422);
    expect(await written(NATIVE)).toBe(native + 4);

    const visible = await written(VISIBLE);
    const res = await put(`/metrics/${m.id}/data_points`, [{ date: '2024-03-01', value: '5' }]);
    expect(res.statusCode, res.body).toBe(200);
    expect(await written(VISIBLE)).toBe(visible + 1);

    const del = await ctx().call(ctx().orgA.write, {
      method: 'DELETE',
      url: `/v1/metrics/${m.id}/data_points?date=2024-03-01`,
    });
    expect(del.statusCode).toBe(204);
    expect(await written('DELETE /v1/metrics/:id/data_points')).toBe(1);
  });

  it('counts a job that ends in its own write transaction as ended, with the values it applied', async () => {
    const program = await createProgram(ctx(), ctx().orgA.admin);
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: `${valuesUrl(program)}/batchUpsertion`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        data: [1, 2].map((start) => ({
          reportingPeriod: { year: 2024, start, end: start },
          coordinates: { [program.dimensionId]: 'A' },
          value: String(start),
        })),
      }),
    });
    expect(res.statusCode, res.body).toBe(202);
    const kind = 'workiva.batchUpsertion';
    const endedSeries = `kpihub_jobs_ended_total{kind="${kind}",status="completed"}`;
    const before = await scrape();
    const ended = Number(sample(before, endedSeries) ?? 0);
    const applied = Number(sample(before, `kpihub_points_written_total{path="job ${kind}"}`) ?? 0);
    const worker = new Worker({
      store: ctx().store,
      handlers: jobHandlers,
      webhookTargets: ctx().config.webhookTargets,
    });
    expect(await worker.drain()).toBe(1);
    const after = await scrape();
    expect(Number(sample(after, endedSeries))).toBe(ended + 1);
    expect(Number(sample(after, `kpihub_points_written_total{path="job ${kind}"}`))).toBe(applied + 2);
    expect(Number(sample(after, `kpihub_job_attempts_count{kind="${kind}"}`))).toBeGreaterThanOrEqual(1);
  });

  it('shows the connections in use and the callers waiting for one', async () => {
    const body = await scrape();
    const max = Number(sample(body, 'kpihub_db_connections{state="max"}'));
    // The pool's size (the test stores open 4 connections, test/helpers/engines.ts); SQLite's one writer.
    expect(max).toBe(engine === 'postgres' ? 4 : 1);
    expect(Number(sample(body, 'kpihub_db_connections{state="in_use"}'))).toBeLessThanOrEqual(max);
    expect(sample(body, 'kpihub_db_connection_waiters')).toBe('0');

    // Every connection held by a write transaction, and one more asked for: it waits.
    const { store } = ctx();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const holders = Array.from({ length: max }, () => store.engine.writeTransaction(store.db, () => held));
    const extra = store.engine.writeTransaction(store.db, async () => 'ran');
    await expect.poll(() => store.engine.connectionUse().waiting).toBe(1);
    expect(store.engine.connectionUse()).toMatchObject({ size: max, inUse: max, idle: 0 });
    release();
    await Promise.all(holders);
    expect(await extra).toBe('ran');
    expect(store.engine.connectionUse()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it("opens a pool of at least minPoolSize, whatever poolSize says (a worker's W + 2)", async () => {
    const other = openStore(ctx().database.url, { poolSize: 1, minPoolSize: 5 });
    try {
      // SQLite has its one connection whatever is asked.
      expect(other.engine.connectionUse().size).toBe(engine === 'postgres' ? 5 : 1);
    } finally {
      await other.close();
    }
  });
});
