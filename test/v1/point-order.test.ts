import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem, putPoints, walkPages } from '../helpers/native.ts';
import { countEach } from '../helpers/rows.ts';

// GET /v1/metrics/{id}/data_points?order=period|-period: the listing by period, paged with
// a cursor through the identity index (the dashboard's table asks for its newest points first).

interface Point {
  id: string;
  period_start: string;
  period_end: string;
  value: string;
  coordinates: Record<string, string>;
}
interface Page {
  items: Point[];
  next_cursor: string | null;
}

const TABLES = ['data_points', 'point_revisions', 'point_rollups'] as const;

describe.each(engines())('data points by period [%s]', (engine) => {
  const ctx = useTestContext(engine);

  const metric = async (key = ctx().orgA.write) => {
    const res = await ctx().call(key, {
      method: 'POST',
      url: '/v1/metrics',
      payload: { name: 'Sales', value_type: 'number', dimensions: [{ name: 'site' }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; dimensions: { id: string }[] };
  };
  const put = (metricId: string, points: object[]) => putPoints(ctx(), metricId, points);
  const get = (url: string, key = ctx().orgA.read) => ctx().call(key, { method: 'GET', url });

  /** Every page of a listing, walked with its cursors (test/helpers/native.ts checks the page sizes). */
  const walk = async (metricId: string, query: string, limit: number) =>
    (await walkPages<Point>((o) => get(o.url), `/v1/metrics/${metricId}/data_points?${query}`, limit)).items;
  const label = (p: Point) => `${p.period_start}/${p.period_end}/${Object.values(p.coordinates)[0] ?? '-'}`;

  // Stored in an order that is neither by period nor by site: a January quarter and a
  // January day share a period start, and two sites share every period.
  const POINTS = [
    { date: '2024-03-01', value: '3', coordinates: { site: 'B' } },
    { period_start: '2024-01-01', period_end: '2024-03-31', value: '90', coordinates: { site: 'A' } },
    { date: '2024-01-01', value: '1', coordinates: { site: 'B' } },
    { date: '2024-02-01', value: '2', coordinates: { site: 'A' } },
    { date: '2024-03-01', value: '3', coordinates: { site: 'A' } },
    { date: '2024-01-01', value: '1', coordinates: { site: 'A' } },
    { date: '2024-02-01', value: '2', coordinates: { site: 'B' } },
  ];
  const ASCENDING = [
    '2024-01-01/2024-01-01/A',
    '2024-01-01/2024-01-01/B',
    '2024-01-01/2024-03-31/A',
    '2024-02-01/2024-02-01/A',
    '2024-02-01/2024-02-01/B',
    '2024-03-01/2024-03-01/A',
    '2024-03-01/2024-03-01/B',
  ];

  it('pages oldest period first and newest first, whatever order the points were stored in', async () => {
    const m = await metric();
    await put(m.id, POINTS);
    for (const limit of [1, 2, 3, 7, 50]) {
      expect((await walk(m.id, 'order=period', limit)).map(label), `limit ${limit}`).toEqual(ASCENDING);
      expect((await walk(m.id, 'order=-period', limit)).map(label), `limit ${limit}`).toEqual(
        [...ASCENDING].reverse(),
      );
    }
    // The default is still the order the points were stored in.
    const stored = (await walk(m.id, 'order=created', 50)).map((p) => p.id);
    expect((await walk(m.id, '', 2)).map((p) => p.id)).toEqual(stored);
    expect(stored).toEqual([...stored].sort());
  });

  it('takes the same filters as the listing: period range, coordinates, as_of', async () => {
    const m = await metric();
    await put(m.id, POINTS);
    await sleep(15);
    const between = new Date().toISOString();
    await sleep(15);
    await put(m.id, [
      { date: '2024-04-01', value: '4', coordinates: { site: 'A' } },
      { date: '2024-02-01', value: '20', coordinates: { site: 'A' } },
    ]);
    const del = await ctx().call(ctx().orgA.write, {
      method: 'DELETE',
      url: `/v1/metrics/${m.id}/data_points?date=2024-03-01&coordinates=${encodeURIComponent('{"site":"B"}')}`,
    });
    expect(del.statusCode, del.body).toBe(204);

    const site = encodeURIComponent('{"site":"A"}');
    const filtered = await walk(m.id, `order=-period&from=2024-01-15&to=2024-04-01&coordinates=${site}`, 1);
    expect(filtered.map((p) => [label(p), p.value])).toEqual([
      ['2024-04-01/2024-04-01/A', '4'],
      ['2024-03-01/2024-03-01/A', '3'],
      ['2024-02-01/2024-02-01/A', '20'],
    ]);
    // As it was between the writes: no April point, February's old value, March's B not yet deleted.
    const then = await walk(m.id, `order=-period&as_of=${between}`, 2);
    expect(then.map((p) => [label(p), p.value])).toEqual([
      ['2024-03-01/2024-03-01/B', '3'],
      ['2024-03-01/2024-03-01/A', '3'],
      ['2024-02-01/2024-02-01/B', '2'],
      ['2024-02-01/2024-02-01/A', '2'],
      ['2024-01-01/2024-03-31/A', '90'],
      ['2024-01-01/2024-01-01/B', '1'],
      ['2024-01-01/2024-01-01/A', '1'],
    ]);
    const now = await walk(m.id, 'order=period', 3);
    expect(now.map(label)).toEqual([
      ...ASCENDING.filter((l) => l !== '2024-03-01/2024-03-01/B'),
      '2024-04-01/2024-04-01/A',
    ]);
  });

  it('refuses a bad order or a cursor from another order or metric with 400, and changes nothing', async () => {
    const m = await metric();
    const other = await metric();
    await put(m.id, POINTS);
    await put(other.id, POINTS);
    const byPeriod = (await get(`/v1/metrics/${m.id}/data_points?order=period&limit=2`)).json() as Page;
    const byCreated = (await get(`/v1/metrics/${m.id}/data_points?limit=2`)).json() as Page;
    expect(byPeriod.next_cursor).toEqual(expect.any(String));
    expect(byCreated.next_cursor).toEqual(expect.any(String));
    const before = await countEach(ctx().store, TABLES);

    const base = `/v1/metrics/${m.id}/data_points`;
    const badOrder = expectProblem(await get(`${base}?order=value`), 400);
    expect(JSON.stringify(badOrder.errors)).toContain('order');
    for (const url of [
      `${base}?order=-period&cursor=${byPeriod.next_cursor}`,
      `${base}?order=period&cursor=${byCreated.next_cursor}`,
      `${base}?cursor=${byPeriod.next_cursor}`,
      `/v1/metrics/${other.id}/data_points?order=period&cursor=${byPeriod.next_cursor}`,
      `${base}?order=period&cursor=${Buffer.from('period:nope').toString('base64url')}`,
    ]) {
      const body = expectProblem(await get(url), 400);
      expect(body.errors, url).toEqual([{ field: 'cursor', message: 'is not a valid cursor' }]);
    }
    expect(await countEach(ctx().store, TABLES)).toEqual(before);
  });

  it("gives another organization's key 404 in every order, never the data", async () => {
    const m = await metric();
    await put(m.id, [{ date: '2024-01-01', value: '42.42', coordinates: { site: 'A' } }]);
    const mine = (await get(`/v1/metrics/${m.id}/data_points?order=period&limit=1`)).json() as Page;
    expect(mine.items.map((p) => p.value)).toEqual(['42.42']);
    for (const order of ['period', '-period', 'created']) {
      const res = await get(`/v1/metrics/${m.id}/data_points?order=${order}`, ctx().orgB.admin);
      expectProblem(res, 404);
      expect(res.body).not.toContain('42.42');
    }
  });
});
