import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/database.ts';
import { createTestDatabase, engines, type TestDatabase } from './helpers/engines.ts';
import { type KpihubProcess, startKpihub, startServe } from './helpers/processes.ts';
import { countRows } from './helpers/rows.ts';

// SIGTERM to `kpihub serve` (what a process manager or Kubernetes sends) in the middle of a
// request and of a big import: the request is answered, the import is handed back to the
// queue (lease released, attempt not counted) with a log line, and the process exits 0
// within KPIHUB_SHUTDOWN_TIMEOUT. A worker started afterwards applies the import once.

const ADMIN = 'kph_shutdown_test_admin_key_0123456789abcdef';
const TIMEOUT_SECONDS = 10;

describe.each(engines())('graceful shutdown of kpihub serve [%s]', (engine) => {
  // Long enough that the import is still running when the signal comes (several seconds).
  const ROWS = engine === 'sqlite' ? 200_000 : 60_000;
  let database: TestDatabase;
  let store: Store;
  let served: (KpihubProcess & { url: string }) | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => {
    served?.child.kill('SIGKILL');
    await store?.close();
    await database?.drop();
  });

  it('answers the request in flight, hands the import back, exits 0 in time', {
    timeout: 240_000,
  }, async () => {
    const env = {
      KPIHUB_DATABASE_URL: database.env,
      KPIHUB_ADMIN_KEY: ADMIN,
      KPIHUB_WORKERS: '1',
      KPIHUB_JOB_POLL_MS: '50',
      KPIHUB_SHUTDOWN_TIMEOUT: String(TIMEOUT_SECONDS),
      KPIHUB_DATA_DIR: `/tmp/kpihub-shutdown-${engine}-${process.pid}`,
    };
    served = await startServe(env);
    const { url } = served;
    const call = async (method: string, path: string, body: string, type = 'application/json') => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': type },
        body,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const dataset = await call(
      'POST',
      '/v1/datasets',
      JSON.stringify({
        name: 'Shutdown',
        metrics: [
          { name: 'Imported', value_type: 'number' },
          { name: 'Put', value_type: 'number' },
        ],
      }),
    );
    expect(dataset.status, JSON.stringify(dataset.body)).toBe(201);
    const [imported, put] = (dataset.body.metrics as { id: string }[]).map((m) => m.id);

    const day = (i: number) => new Date(Date.UTC(1800, 0, 1 + i)).toISOString().slice(0, 10);
    const csv = [
      'metric_id,date,value',
      ...Array.from({ length: ROWS }, (_, i) => `${imported},${day(i)},${i}.5`),
    ];
    const accepted = await call('POST', '/v1/imports', `${csv.join('\n')}\n`, 'text/csv');
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const jobId = accepted.body.id as string;

    store = openStore(database.url);
    const jobRow = () =>
      store.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    for (let i = 0; i < 600 && (await jobRow()).status !== 'running'; i++) await sleep(50);
    expect((await jobRow()).status).toBe('running');
    await sleep(300);

    // A request in flight: its headers are in, half its body is sent.
    const body = JSON.stringify({ data_points: [{ date: '2024-01-01', value: '42' }] });
    let answered: (v: { status: number; body: string }) => void = () => {};
    const answer = new Promise<{ status: number; body: string }>((r) => {
      answered = r;
    });
    const req = request(`${url}/v1/metrics/${put}/data_points`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${ADMIN}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => {
        text += String(d);
      });
      res.on('end', () => answered({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (e) => answered({ status: -1, body: String(e) }));
    req.write(body.slice(0, 10));
    await sleep(200);

    const signalled = Date.now();
    served.child.kill('SIGTERM');
    await sleep(500);
    req.end(body.slice(10));
    const response = await answer;
    const code = await served.exited;
    const took = Date.now() - signalled;

    expect(response.status, response.body).toBe(200);
    expect(code, served.output()).toBe(0);
    expect(took).toBeLessThan(TIMEOUT_SECONDS * 1000);
    expect(served.output()).toMatch(/shutting down/);
    expect(served.output()).toMatch(/job handed back on shutdown/);
    expect(served.output()).not.toMatch(/took longer than KPIHUB_SHUTDOWN_TIMEOUT/);

    // Handed back: queued, no lease, the attempt not counted, nothing of it applied.
    expect(await jobRow()).toMatchObject({ status: 'queued', attempts: 0, lease_owner: null, applied: 0 });
    // Only the PUT's point is stored.
    expect(await countRows(store, 'data_points')).toBe(1);
    expect(await store.db.selectFrom('data_points').select(['metric_id', 'value']).execute()).toEqual([
      { metric_id: put, value: '42' },
    ]);

    // The next worker applies it, once.
    const worker = startKpihub(['worker', '--once'], { ...env, KPIHUB_LOG_LEVEL: 'warn' });
    expect(await worker.exited, worker.output()).toBe(0);
    expect(await jobRow()).toMatchObject({ status: 'completed', attempts: 1, applied: ROWS });
    expect(await countRows(store, 'data_points')).toBe(ROWS + 1);
  });
});
