import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_PAGE_SIZE, exportMetricPoints } from '../../src/core/points/export.ts';
import { encodeExport } from '../../src/core/points/export-format.ts';
import { writePoints } from '../../src/core/points/write.ts';
import type { Storage } from '../../src/core/ports/index.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countEach } from '../helpers/rows.ts';

// GET /v1/metrics/{id}/data_points/export and /v1/datasets/{id}/data_points/export: CSV
// (the columns the native import reads) and NDJSON (the listing's items), streamed.

interface Metric {
  id: string;
  external_id: string | null;
  dimensions: { id: string; name: string }[];
}

interface Point {
  id: string;
  metric_id: string;
  period_start: string;
  period_end: string;
  coordinates: Record<string, string> | null;
  value: string | null;
  notes: string | null;
  status: string | null;
}

/** Points in the export's order: period start, period end, then coordinates. */
const byIdentity = (points: Point[]) =>
  [...points].sort(
    (a, b) =>
      a.period_start.localeCompare(b.period_start) ||
      a.period_end.localeCompare(b.period_end) ||
      JSON.stringify(a.coordinates).localeCompare(JSON.stringify(b.coordinates)),
  );

const CSV_HEAD = [
  'metric_id',
  'metric_external_id',
  'period_start',
  'period_end',
  'value',
  'notes',
  'status',
];

/** The day `n` days after 2000-01-01, as YYYY-MM-DD. */
const day = (n: number) => new Date(Date.UTC(2000, 0, 1 + n)).toISOString().slice(0, 10);

describe.each(engines())('data point export [%s]', (engine) => {
  const ctx = useTestContext(engine);
  let url: string;

  beforeAll(async () => {
    url = await ctx().app.listen({ host: '127.0.0.1', port: 0 });
  });

  const post = async (path: string, payload: object, key = ctx().orgA.write) => {
    const res = await ctx().call(key, { method: 'POST', url: path, payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const metric = (body: object = {}): Promise<Metric> =>
    post('/v1/metrics', { name: 'Revenue', value_type: 'currency', ...body });
  const put = async (m: string, points: object[]) => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: `/v1/metrics/${m}/data_points`,
      payload: { data_points: points },
      headers: { prefer: 'return=minimal' },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const get = (path: string, headers: Record<string, string> = {}, key = ctx().orgA.read) =>
    ctx().call(key, { method: 'GET', url: path, headers });
  const listing = async (m: string, query = ''): Promise<Point[]> => {
    const res = await get(`/v1/metrics/${m}/data_points?limit=1000${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items;
  };
  const rows = (csv: string): string[][] => parse(csv, { relax_column_count: false });
  const ndjson = (body: string): Point[] =>
    body
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));

  /** A metric with two dimensions and points that test the CSV writer: quotes, commas, newlines, nulls. */
  async function regional(external_id: string | null = 'REV') {
    const m = await metric({ external_id, dimensions: [{ name: 'region' }, { name: 'product' }] });
    await put(m.id, [
      { date: '2024-01-01', value: '10.5', coordinates: { region: 'EU', product: 'A' }, notes: 'plain' },
      {
        period_start: '2024-01-01',
        period_end: '2024-03-31',
        value: '300',
        coordinates: { region: 'US, east', product: 'B' },
        notes: 'say "hi",\nthen go',
      },
      { date: '2024-02-01', value: null, coordinates: { region: 'EU', product: 'B' } },
    ]);
    return m;
  }

  it('exports a metric as CSV with the import columns, coordinates by dimension name, null as an empty cell; an attachment with no ETag', async () => {
    const m = await regional();
    // status is set through core (the native PUT does not take it; imports and dialects do).
    const actor = { orgId: ctx().orgA.id, actor: 'test', keyId: 'test', scopes: ['write'] as const };
    await writePoints(createStorage(ctx().store), actor, [
      {
        metricId: m.id,
        periodStart: '2024-01-01',
        periodEnd: '2024-01-01',
        coordinates: { region: 'EU', product: 'A' },
        status: 'approved',
        path: 'p',
      },
    ]);
    const res = await get(`/v1/metrics/${m.id}/data_points/export`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="metric-${m.id}-data-points.csv"`);
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
    const [head, ...body] = rows(res.body);
    expect(head).toEqual([...CSV_HEAD, 'coordinates.region', 'coordinates.product']);
    const points = byIdentity(await listing(m.id));
    expect(body).toEqual(
      points.map((p) => [
        m.id,
        'REV',
        p.period_start,
        p.period_end,
        p.value ?? '',
        p.notes ?? '',
        p.status ?? '',
        p.coordinates?.[m.dimensions[0].id],
        p.coordinates?.[m.dimensions[1].id],
      ]),
    );
    expect(body.map((r) => r.slice(4))).toEqual([
      ['10.5', 'plain', 'approved', 'EU', 'A'],
      ['300', 'say "hi",\nthen go', '', 'US, east', 'B'],
      ['', '', '', 'EU', 'B'],
    ]);
    // Quoted by the CSV writer, not by hand: a doubled quote, a quoted comma and line break.
    expect(res.body).toContain(`"say ""hi"",\nthen go",,"US, east",B\n`);
  });

  it('exports NDJSON: one point a line, as the listing shows it, by period then coordinates', async () => {
    const m = await regional(null);
    await put(m.id, [{ date: '2023-12-31', value: '1', coordinates: { region: 'EU', product: 'A' } }]);
    const res = await get(`/v1/metrics/${m.id}/data_points/export?format=ndjson`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="metric-${m.id}-data-points.ndjson"`,
    );
    expect(res.body.endsWith('\n')).toBe(true);
    const points = ndjson(res.body);
    expect(points).toEqual(byIdentity(await listing(m.id)));
    expect(points.map((p) => p.period_start)).toEqual([
      '2023-12-31',
      '2024-01-01',
      '2024-01-01',
      '2024-02-01',
    ]);
  });

  it('chooses the format by the format parameter, else by Accept (q values count), else CSV', async () => {
    const m = await regional(null);
    const path = `/v1/metrics/${m.id}/data_points/export`;
    const typeOf = async (query: string, accept?: string) => {
      const res = await get(`${path}${query}`, accept ? { accept } : {});
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers.vary).toContain('accept');
      return String(res.headers['content-type']).split(';')[0];
    };
    expect(await typeOf('')).toBe('text/csv');
    expect(await typeOf('', 'application/x-ndjson')).toBe('application/x-ndjson');
    expect(await typeOf('', 'application/ndjson')).toBe('application/x-ndjson');
    expect(await typeOf('', 'text/csv')).toBe('text/csv');
    expect(await typeOf('', 'text/csv;q=0.5, application/x-ndjson;q=0.9')).toBe('application/x-ndjson');
    expect(await typeOf('', 'application/x-ndjson;q=0.1, text/csv')).toBe('text/csv');
    expect(await typeOf('', '*/*')).toBe('text/csv');
    expect(await typeOf('', 'application/json')).toBe('text/csv');
    expect(await typeOf('?format=csv', 'application/x-ndjson')).toBe('text/csv');
    expect(await typeOf('?format=ndjson', 'text/csv')).toBe('application/x-ndjson');
  });

  it('takes the listing filters: from, to, coordinates (by name or id) and as_of (the value before an update)', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    const region = m.dimensions[0].id;
    await put(
      m.id,
      [1, 2, 3, 4].flatMap((d) => [
        { date: `2024-05-0${d}`, value: String(d), coordinates: { region: 'EU' } },
        { date: `2024-05-0${d}`, value: String(10 * d), coordinates: { region: 'US' } },
      ]),
    );
    const exported = async (query: string) => {
      const res = await get(`/v1/metrics/${m.id}/data_points/export?format=ndjson&${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return ndjson(res.body);
    };
    const coords = encodeURIComponent(JSON.stringify({ region: 'US' }));
    for (const query of [
      'from=2024-05-02&to=2024-05-03',
      `coordinates=${coords}`,
      `coordinates=${encodeURIComponent(JSON.stringify({ [region]: 'EU' }))}&from=2024-05-04`,
    ]) {
      expect(await exported(query), query).toEqual(byIdentity(await listing(m.id, `&${query}`)));
    }
    expect((await exported(`coordinates=${coords}&to=2024-05-02`)).map((p) => p.value)).toEqual(['10', '20']);

    await sleep(15);
    const between = new Date().toISOString();
    await sleep(15);
    await put(m.id, [{ date: '2024-05-01', value: '99', coordinates: { region: 'EU' } }]);
    const eu = encodeURIComponent(JSON.stringify({ region: 'EU' }));
    const now = await exported(`coordinates=${eu}&to=2024-05-01`);
    expect(now.map((p) => p.value)).toEqual(['99']);
    const then = await exported(`coordinates=${eu}&to=2024-05-01&as_of=${between}`);
    expect(then).toEqual([expect.objectContaining({ id: now[0].id, value: '1' })]);
    expect(then).toEqual(await listing(m.id, `&coordinates=${eu}&to=2024-05-01&as_of=${between}`));
    const csv = await get(`/v1/metrics/${m.id}/data_points/export?as_of=${between}&to=2024-05-01`);
    expect(rows(csv.body).map((r) => r[4])).toEqual(['value', '1', '10']);
    expect(await exported('as_of=2000-01-01T00:00:00Z')).toEqual([]);

    // A point deleted since is exported as it was then; one written since is not there then.
    const del = await ctx().call(ctx().orgA.write, {
      method: 'DELETE',
      url: `/v1/metrics/${m.id}/data_points/${now[0].id}`,
    });
    expect(del.statusCode).toBe(204);
    await put(m.id, [{ date: '2024-04-30', value: '7', coordinates: { region: 'EU' } }]);
    expect(await exported(`coordinates=${eu}&to=2024-05-01`)).toEqual([
      expect.objectContaining({ period_start: '2024-04-30', value: '7' }),
    ]);
    expect(await exported(`coordinates=${eu}&to=2024-05-01&as_of=${between}`)).toEqual(then);
  });

  it("exports a dataset: every metric's points, metric after metric, with the union of dimension columns", async () => {
    const ds = await post('/v1/datasets', { name: 'Board pack' });
    const a = await metric({
      dataset_id: ds.id,
      sort_order: 1,
      external_id: 'A-1',
      dimensions: [{ name: 'region' }],
    });
    const b = await metric({
      dataset_id: ds.id,
      sort_order: 2,
      dimensions: [{ name: 'product' }, { name: 'region' }],
    });
    const c = await metric({ dataset_id: ds.id, sort_order: 3, value_type: 'text' });
    await metric({ name: 'Elsewhere' });
    await put(a.id, [{ date: '2024-01-01', value: '1', coordinates: { region: 'EU' } }]);
    await put(b.id, [{ date: '2024-01-02', value: '2', coordinates: { region: 'US', product: 'X' } }]);
    await put(c.id, [{ date: '2024-01-03', value: 'fine' }]);
    const res = await get(`/v1/datasets/${ds.id}/data_points/export`, { accept: 'text/csv' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="dataset-${ds.id}-data-points.csv"`,
    );
    expect(rows(res.body)).toEqual([
      [...CSV_HEAD, 'coordinates.region', 'coordinates.product'],
      [a.id, 'A-1', '2024-01-01', '2024-01-01', '1', '', '', 'EU', ''],
      [b.id, '', '2024-01-02', '2024-01-02', '2', '', '', 'US', 'X'],
      [c.id, '', '2024-01-03', '2024-01-03', 'fine', '', '', '', ''],
    ]);
    const nd = await get(`/v1/datasets/${ds.id}/data_points/export?format=ndjson&from=2024-01-02`);
    expect(ndjson(nd.body).map((p) => p.metric_id)).toEqual([b.id, c.id]);
    const empty = await post('/v1/datasets', { name: 'Empty' });
    const none = await get(`/v1/datasets/${empty.id}/data_points/export`);
    expect(none.statusCode).toBe(200);
    expect(none.body).toBe(`${CSV_HEAD.join(',')}\n`);
  });

  describe('20,000 points', () => {
    const N = 20_000;
    let big: Metric;
    beforeAll(async () => {
      big = await metric({ name: 'Big', value_type: 'number' });
      for (let start = 0; start < N; start += 10_000) {
        await put(
          big.id,
          Array.from({ length: 10_000 }, (_, i) => ({ date: day(start + i), value: `${start + i}.25` })),
        );
      }
    }, 120_000);

    it('arrive complete and in order, streamed over HTTP in many chunks with no Content-Length', async () => {
      const res = await fetch(`${url}/v1/metrics/${big.id}/data_points/export`, {
        headers: { authorization: `Bearer ${ctx().orgA.read}`, 'accept-encoding': 'identity' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      expect(res.headers.get('content-length')).toBeNull();
      expect(res.headers.get('etag')).toBeNull();
      let chunks = 0;
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        chunks++;
        text += decoder.decode(chunk, { stream: true });
      }
      expect(chunks).toBeGreaterThan(N / EXPORT_PAGE_SIZE / 2);
      const [head, ...body] = rows(text);
      expect(head).toEqual(CSV_HEAD);
      expect(body).toHaveLength(N);
      body.forEach((r, i) => {
        expect(r[2]).toBe(day(i));
        expect(r[4]).toBe(`${i}.25`);
      });
    });

    it('as_of: all of them now, none before they were written (pages of points that did not exist then)', async () => {
      const path = `/v1/metrics/${big.id}/data_points/export?format=ndjson&as_of=`;
      const now = await get(`${path}${encodeURIComponent(new Date().toISOString())}`);
      expect(ndjson(now.body)).toHaveLength(N);
      const before = await get(`${path}2000-01-01T00:00:00Z`);
      expect(before.statusCode).toBe(200);
      expect(before.body).toBe('');
    });

    it('are compressed as a stream when asked (gzip), NDJSON too', async () => {
      const res = await get(`/v1/metrics/${big.id}/data_points/export?format=ndjson`, {
        'accept-encoding': 'gzip',
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers.etag).toBeUndefined();
      const lines = ndjson(gunzipSync(res.rawPayload).toString('utf8'));
      expect(lines).toHaveLength(N);
      expect(res.rawPayload.length).toBeLessThan(gunzipSync(res.rawPayload).length / 4);
    });

    it('are read one page at a time, as the body is asked for', async () => {
      const storage = createStorage(ctx().store);
      let reads = 0;
      const counting: Storage = Object.assign(Object.create(storage), {
        listPointsInIdentityOrder: (...args: Parameters<Storage['listPointsInIdentityOrder']>) => {
          reads++;
          return storage.listPointsInIdentityOrder(...args);
        },
      });
      const exp = await exportMetricPoints(counting, ctx().orgA.id, big.id, {});
      const pieces = encodeExport(exp, 'csv');
      expect((await pieces.next()).value).toBe(`${CSV_HEAD.join(',')}\n`);
      expect(reads).toBe(0);
      const first = (await pieces.next()).value as string;
      expect(first.split('\n')).toHaveLength(EXPORT_PAGE_SIZE + 1);
      expect(reads).toBe(1);
      let rest = 0;
      for await (const piece of pieces) rest += piece.split('\n').length - 1;
      expect(rest).toBe(N - EXPORT_PAGE_SIZE);
      // 20 full pages, and one more query that finds the end.
      expect(reads).toBe(N / EXPORT_PAGE_SIZE + 1);
    });
  });

  it("answers 404 problem+json to another organization's key, and for an unknown metric or dataset", async () => {
    const m = await regional(null);
    const ds = await post('/v1/datasets', { name: 'Mine' });
    for (const path of [
      `/v1/metrics/${m.id}/data_points/export`,
      `/v1/datasets/${ds.id}/data_points/export`,
    ]) {
      const res = await get(`${path}?format=ndjson`, {}, ctx().orgB.admin);
      const body = expectProblem(res, 404);
      expect(JSON.stringify(body)).not.toContain(m.id);
      expect(res.headers['content-disposition']).toBeUndefined();
    }
    expectProblem(await get('/v1/metrics/00000000-0000-4000-8000-000000000000/data_points/export'), 404);
    expectProblem(await get('/v1/datasets/00000000-0000-4000-8000-000000000000/data_points/export'), 404);
  });

  it('answers 400 problem+json for a bad format or parameter, naming it; nothing changes', async () => {
    const m = await regional(null);
    const before = await countEach(ctx().store, ['data_points', 'point_revisions', 'metrics']);
    const path = `/v1/metrics/${m.id}/data_points/export`;
    const cases: [string, string][] = [
      ['format=xlsx', 'format'],
      ['from=2024-13-01', 'from'],
      ['to=yesterday', 'to'],
      ['as_of=last%20week', 'as_of'],
      ['coordinates=%5B1%5D', 'coordinates'],
      ['coordinates=nope', 'coordinates'],
      ['limit=5', 'limit'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`${path}?${query}`);
      const body = expectProblem(res, 400);
      expect(res.headers['content-disposition'], query).toBeUndefined();
      expect(JSON.stringify(body.errors), query).toContain(field);
    }
    expectProblem(await get(`/v1/metrics/not-a-uuid/data_points/export`), 400);
    expectProblem(await get(`/v1/datasets/${m.id}/data_points/export?format=csv&from=x`), 400);
    expect(await countEach(ctx().store, ['data_points', 'point_revisions', 'metrics'])).toEqual(before);
  });

  it('answers HEAD with the headers of the export and no body', async () => {
    const m = await regional(null);
    const res = await ctx().call(ctx().orgA.read, {
      method: 'HEAD',
      url: `/v1/metrics/${m.id}/data_points/export?format=ndjson`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.body).toBe('');
  });

  it('is documented in /openapi.json with its media types', async () => {
    const doc = (await get('/openapi.json')).json();
    for (const path of ['/v1/metrics/{id}/data_points/export', '/v1/datasets/{id}/data_points/export']) {
      const op = doc.paths[path]?.get;
      expect(op, path).toBeDefined();
      expect(Object.keys(op.responses['200'].content)).toEqual(['text/csv', 'application/x-ndjson']);
      expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['id', 'format', 'from', 'to', 'coordinates', 'as_of']),
      );
    }
  });
});
