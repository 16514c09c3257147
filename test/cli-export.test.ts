import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordCounter } from '../src/cli/export-client.ts';
import { writePoints } from '../src/core/points/write.ts';
import { jobHandlers } from '../src/job-handlers.ts';
import { Worker } from '../src/jobs/index.ts';
import { createStorage } from '../src/store/storage.ts';
import { useTestContext } from './helpers/app.ts';
import { kpihub } from './helpers/cli.ts';
import { engines } from './helpers/engines.ts';
import { countRows } from './helpers/rows.ts';

// `kpihub export` as a user runs it, a child process talking HTTP to a real server, and the
// round trip the export promises: a CSV it writes goes back through `kpihub import`
// unchanged, into the same metric (nothing changes) or into a fresh one (the same points).
// On both engines, since the round trip is the store's as much as the command's.

interface Metric {
  id: string;
  dimensions: { id: string; name: string }[];
}

describe.each(engines())('kpihub export [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const dir = mkdtempSync(join(tmpdir(), 'kpihub-cli-export-'));
  let url: string;
  let worker: Worker;
  let revenue: Metric;
  let datasetId: string;

  const post = async (path: string, payload: object) => {
    const res = await ctx().call(ctx().orgA.write, { method: 'POST', url: path, payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const as = (key: string) => ({ KPIHUB_URL: url, KPIHUB_API_KEY: key });

  /** A metric's points as stored, dimension ids replaced by names: comparable across metrics. */
  async function pointsOf(m: Metric) {
    const rows = await ctx()
      .store.db.selectFrom('data_points')
      .select(['id', 'period_start', 'period_end', 'coordinates', 'value', 'notes', 'status', 'updated_at'])
      .where('metric_id', '=', m.id)
      .where('deleted_at', 'is', null)
      .orderBy('period_start')
      .orderBy('coord_key')
      .execute();
    const name = (id: string) => m.dimensions.find((d) => d.id === id)?.name ?? id;
    return rows.map((r) => ({
      ...r,
      coordinates: Object.fromEntries(
        Object.entries(JSON.parse(r.coordinates ?? '{}') as Record<string, string>).map(([k, v]) => [
          name(k),
          v,
        ]),
      ),
    }));
  }
  const comparable = (points: Awaited<ReturnType<typeof pointsOf>>) =>
    points.map(({ id: _id, updated_at: _at, ...rest }) => rest);

  beforeAll(async () => {
    url = await ctx().app.listen({ host: '127.0.0.1', port: 0 });
    worker = new Worker({ store: ctx().store, handlers: jobHandlers, pollMs: 20 }).start();
    datasetId = (await post('/v1/datasets', { name: 'Board pack' })).id;
    revenue = await post('/v1/metrics', {
      name: 'Revenue',
      value_type: 'currency',
      dataset_id: datasetId,
      external_id: 'REV',
      dimensions: [{ name: 'region' }, { name: 'product' }],
    });
    const res = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: `/v1/metrics/${revenue.id}/data_points`,
      payload: {
        data_points: [
          { date: '2024-01-01', value: '10.5', coordinates: { region: 'EU', product: 'A' }, notes: 'plain' },
          {
            period_start: '2024-01-01',
            period_end: '2024-03-31',
            value: '-300.125',
            coordinates: { region: 'US, east', product: 'B' },
            notes: 'say "hi",\nthen go',
          },
          { date: '2024-02-01', value: null, coordinates: { region: 'EU', product: 'B' } },
          { date: '2024-02-02', value: '0', coordinates: { region: 'Zürich', product: '=1+1' } },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const actor = { orgId: ctx().orgA.id, actor: 'test', keyId: 'test', scopes: ['write'] as const };
    await writePoints(createStorage(ctx().store), actor, [
      {
        metricId: revenue.id,
        periodStart: '2024-02-01',
        periodEnd: '2024-02-01',
        coordinates: { region: 'EU', product: 'B' },
        status: 'draft',
        path: 'p',
      },
    ]);
  });
  afterAll(async () => {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a CSV file (-o) that kpihub import takes back into the same metric with no change', async () => {
    const file = join(dir, 'revenue.csv');
    const r = await kpihub(['export', '--metric', revenue.id, '-o', file], as(ctx().orgA.read));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^exported 4 data points to ${file} \\(csv, \\d+ B\\)$`, 'm'));
    expect(r.stderr).not.toContain('\x1b[');
    expect(r.stdout).toBe('');
    expect(r.stdout + r.stderr).not.toContain(ctx().orgA.read);
    expect(existsSync(`${file}.part`)).toBe(false);
    const served = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/v1/metrics/${revenue.id}/data_points/export`,
    });
    expect(readFileSync(file, 'utf8')).toBe(served.body);

    const before = await pointsOf(revenue);
    const revisions = await countRows(ctx().store, 'point_revisions');
    const imported = await kpihub(['import', file, '--no-progress'], as(ctx().orgA.write));
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/^import \S+ completed in .+: 4 rows read, 4 applied$/m);
    // Every row equal to its point: nothing written, no revision, not even updated_at.
    expect(await pointsOf(revenue)).toEqual(before);
    expect(await countRows(ctx().store, 'point_revisions')).toBe(revisions);
  });

  it('the same file, its metric id swapped, fills a fresh metric with exactly the same points', async () => {
    const fresh: Metric = await post('/v1/metrics', {
      name: 'Revenue (copy)',
      value_type: 'currency',
      dimensions: [{ name: 'product' }, { name: 'region' }],
    });
    const text = readFileSync(join(dir, 'revenue.csv'), 'utf8').replaceAll(revenue.id, fresh.id);
    const copy = join(dir, 'copy.csv');
    writeFileSync(copy, text);
    const imported = await kpihub(['import', copy, '--no-progress'], as(ctx().orgA.write));
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const original = comparable(await pointsOf(revenue));
    expect(original).toHaveLength(4);
    expect(comparable(await pointsOf(fresh))).toEqual(original);
  });

  it('writes NDJSON of a dataset to stdout, with filters; refusals exit 1 (server) or 2 (arguments)', async () => {
    const r = await kpihub(
      [
        'export',
        '--dataset',
        datasetId,
        '--format',
        'ndjson',
        '--coordinate',
        'region=EU',
        '--from',
        '2024-01-15',
      ],
      as(ctx().orgA.read),
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({
        metric_id: revenue.id,
        period_start: '2024-02-01',
        value: null,
        status: 'draft',
      }),
    ]);
    expect(r.stderr).toMatch(/^exported 1 data points to stdout \(ndjson, \d+ B\)$/m);

    const other = await kpihub(
      ['export', '--metric', revenue.id, '-o', join(dir, 'no.csv')],
      as(ctx().orgB.admin),
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('kpihub: the server refused the export: 404');
    expect(existsSync(join(dir, 'no.csv'))).toBe(false);
    expect(existsSync(join(dir, 'no.csv.part'))).toBe(false);

    const bad = await kpihub(['export', '--metric', revenue.id, '--from', '2024-13-01'], as(ctx().orgA.read));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/refused the export: 400 .*\n {2}from: /);

    const neither = await kpihub(['export'], as(ctx().orgA.read));
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('exactly one of --metric <id> and --dataset <id>');
  });
});

describe('RecordCounter', () => {
  const count = (format: 'csv' | 'ndjson', ...chunks: string[]) => {
    const c = new RecordCounter(format);
    for (const chunk of chunks) c.see(Buffer.from(chunk));
    return { records: c.records(), bytes: c.bytes };
  };

  it('counts CSV records less the header, not the line breaks inside quoted cells, across chunks', () => {
    const chunks = ['a,b\n1,"x\ny"\n2,', '"say ""hi""\n', 'there"\n'];
    expect(count('csv', ...chunks)).toEqual({ records: 2, bytes: chunks.join('').length });
    expect(count('csv', 'a,b\n')).toEqual({ records: 0, bytes: 4 });
  });

  it('counts NDJSON lines', () => {
    expect(count('ndjson', '{"a":"x\\ny"}\n{}', '\n').records).toBe(2);
  });
});
