import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/engines.ts';
import { type PgBouncer, pgbouncerBinary, startPgBouncer } from '../helpers/pgbouncer.ts';
import { type KpihubProcess, startServe } from '../helpers/processes.ts';

// KPI Hub behind PgBouncer in transaction pooling mode: a server connection serves one
// transaction of one client, then another client's, so nothing may rest on session state
// (no startup options, no SET). `kpihub serve` starts through it on an empty schema, and
// migrations, a write, a read and a job (its worker's lease and transaction) all work, with
// every table in the schema the URL asked for.
//
// Skipped only where pgbouncer is not installed and PostgreSQL is not required (a developer
// machine); CI (KPIHUB_TEST_REQUIRE_PG) installs it and runs this.

const binary = pgbouncerBinary();
const required = Boolean(process.env.KPIHUB_TEST_REQUIRE_PG);
const ADMIN = 'kph_pgbouncer_test_admin_key_0123456789abcdef';

describe.runIf(engines().includes('postgres'))('behind PgBouncer in transaction mode [postgres]', () => {
  let database: TestDatabase;
  let bouncer: PgBouncer | undefined;
  let served: KpihubProcess & { url: string };
  let schema: string;
  let direct: pg.Client;

  beforeAll(async () => {
    if (!binary) return;
    database = await createTestDatabase('postgres');
    if (database.url.engine !== 'postgres') throw new Error('unreachable');
    schema = database.url.schema;
    const upstream = new URL(inject('pgUrl'));
    bouncer = await startPgBouncer(binary, {
      host: upstream.hostname,
      port: Number(upstream.port || 5432),
      user: decodeURIComponent(upstream.username || 'postgres'),
    });
    direct = new pg.Client({ connectionString: inject('pgUrl') });
    await direct.connect();
  }, 30_000);
  afterAll(async () => {
    await served?.stop();
    await bouncer?.stop();
    await direct?.end();
    await database?.drop();
  });

  it.skipIf(!binary && !required)(
    'migrates, writes, reads and runs a job, tables in ?schema=',
    { timeout: 120_000 },
    async () => {
      expect(binary, 'pgbouncer is required here (apt-get install pgbouncer)').toBeDefined();
      const pgDatabase = new URL(inject('pgUrl')).pathname.slice(1) || 'postgres';
      served = await startServe({
        KPIHUB_DATABASE_URL: `${bouncer?.url(pgDatabase)}?schema=${schema}`,
        KPIHUB_ADMIN_KEY: ADMIN,
        KPIHUB_WORKERS: '1',
        KPIHUB_JOB_POLL_MS: '50',
        KPIHUB_DATA_DIR: `/tmp/kpihub-pgbouncer-${schema}`,
      });
      const call = async (method: string, path: string, body?: unknown, type = 'application/json') => {
        const res = await fetch(`${served.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${ADMIN}`,
            ...(body === undefined ? {} : { 'content-type': type }),
          },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };

      const dataset = await call('POST', '/v1/datasets', {
        name: 'Behind a pooler',
        metrics: [{ name: 'Energy', value_type: 'number' }],
      });
      expect(dataset.status, JSON.stringify(dataset.body)).toBe(201);
      const metricId = (dataset.body.metrics as { id: string }[])[0].id;
      const put = await call('PUT', `/v1/metrics/${metricId}/data_points`, {
        data_points: [
          { date: '2024-01-01', value: '1.5' },
          { date: '2024-02-01', value: '2.5' },
        ],
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const imported = await call(
        'POST',
        '/v1/imports',
        `metric_id,date,value\n${metricId},2024-03-01,3.5\n`,
        'text/csv',
      );
      expect(imported.status, JSON.stringify(imported.body)).toBe(202);
      const jobId = imported.body.id as string;
      let job = imported;
      for (let i = 0; i < 200 && !['completed', 'failed'].includes(job.body.status as string); i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = await call('GET', `/v1/imports/${jobId}`);
      }
      expect(job.body, JSON.stringify(job.body)).toMatchObject({ status: 'completed' });

      const read = await call('GET', `/v1/metrics/${metricId}/data_points`);
      expect(read.status).toBe(200);
      expect((read.body.items as { value: string }[]).map((p) => p.value).sort()).toEqual([
        '1.5',
        '2.5',
        '3.5',
      ]);

      // In the schema asked for, read directly (not through PgBouncer, not through KPI Hub).
      const points = await direct.query(`select value from "${schema}".data_points order by period_start`);
      expect(points.rows.map((r) => String(r.value))).toEqual(['1.5', '2.5', '3.5']);
      const tables = await direct.query(
        `select count(*)::int as n from information_schema.tables where table_schema = $1 and table_name in ('organizations', 'data_points', 'jobs', 'kysely_migration')`,
        [schema],
      );
      expect(tables.rows[0].n).toBe(4);
      expect(served.output()).not.toMatch(/unsupported startup parameter|error/i);
    },
  );
});
