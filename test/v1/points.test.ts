import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { countRows } from '../helpers/rows.ts';

interface Metric {
  id: string;
  dimensions: { id: string; name: string }[];
}

describe.each(engines())('native data points [%s]', (engine) => {
  const ctx = useTestContext(engine);

  const metric = async (body: object = {}, key = ctx().orgA.write): Promise<Metric> => {
    const res = await ctx().call(key, {
      method: 'POST',
      url: '/v1/metrics',
      payload: { name: 'Revenue', value_type: 'currency', unit: 'EUR', ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const put = (m: string, points: object[], key = ctx().orgA.write, headers: Record<string, string> = {}) =>
    ctx().call(key, {
      method: 'PUT',
      url: `/v1/metrics/${m}/data_points`,
      payload: { data_points: points },
      headers,
    });
  const get = (url: string, key = ctx().orgA.read) => ctx().call(key, { method: 'GET', url });
  const count = async (table: 'data_points' | 'point_revisions', metricId: string) =>
    Number(
      (
        await ctx()
          .store.db.selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('metric_id', '=', metricId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('upserts points with periods, coordinates (by dimension id or name) and notes', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }, { name: 'product' }] });
    const [region, product] = m.dimensions;
    const res = await put(m.id, [
      { date: '2024-01-31', value: '100.50', coordinates: { region: 'EU', product: 'A' }, notes: 'closing' },
      {
        period_start: '2024-01-01',
        period_end: '2024-03-31',
        value: '300',
        coordinates: { [region.id]: 'EU', [product.id]: 'A' },
      },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    const [daily, quarter] = res.json().data_points;
    expect(daily).toMatchObject({
      period_start: '2024-01-31',
      period_end: '2024-01-31',
      value: '100.5',
      notes: 'closing',
      coordinates: { [region.id]: 'EU', [product.id]: 'A' },
    });
    expect(quarter).toMatchObject({ period_start: '2024-01-01', period_end: '2024-03-31', value: '300' });
    // Same identity, other spelling of the coordinates: an update of the same point.
    const again = await put(m.id, [
      { date: '2024-01-31', value: '101', coordinates: { [product.id]: 'A', region: 'EU' } },
    ]);
    expect(again.json().data_points[0]).toMatchObject({ id: daily.id, value: '101', notes: 'closing' });
    expect(await count('data_points', m.id)).toBe(2);
  });

  it('answers with counts; Prefer: return=minimal leaves the points out', async () => {
    const m = await metric();
    const first = await put(m.id, [
      { date: '2024-01-01', value: '1' },
      { date: '2024-01-02', value: '2' },
    ]);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ received: 2, inserted: 2, updated: 0, unchanged: 0 });
    expect(first.json().data_points).toHaveLength(2);
    expect(first.headers['preference-applied']).toBeUndefined();

    const minimal = await put(
      m.id,
      [
        { date: '2024-01-01', value: '1' },
        { date: '2024-01-02', value: '2.5' },
        { date: '2024-01-03', value: '3' },
      ],
      ctx().orgA.write,
      { prefer: 'handling=strict, return=minimal' },
    );
    expect(minimal.statusCode, minimal.body).toBe(200);
    expect(minimal.json()).toEqual({ received: 3, inserted: 1, updated: 1, unchanged: 1 });
    expect(minimal.headers['preference-applied']).toBe('return=minimal');
    // Written all the same: one revision per change, none for the unchanged point.
    expect(await count('data_points', m.id)).toBe(3);
    expect(await count('point_revisions', m.id)).toBe(4);

    const other = await put(m.id, [{ date: '2024-01-04', value: '4' }], ctx().orgA.write, {
      prefer: 'return=representation',
    });
    expect(other.json().data_points).toHaveLength(1);
    // A parameter of another preference is not a preference: the points come back.
    const parameter = await put(m.id, [{ date: '2024-01-04', value: '4' }], ctx().orgA.write, {
      prefer: 'respond-async; return=minimal',
    });
    expect(parameter.json()).toMatchObject({ received: 1, unchanged: 1 });
    expect(parameter.json().data_points).toHaveLength(1);
  });

  it('counts each input: the same identity twice in a request is an insert then an update', async () => {
    const m = await metric();
    const res = await put(m.id, [
      { date: '2024-02-01', value: '1' },
      { date: '2024-02-01', value: '2' },
      { date: '2024-02-01', value: '2' },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ received: 3, inserted: 1, updated: 1, unchanged: 1 });
    expect(await count('data_points', m.id)).toBe(1);
    expect(await count('point_revisions', m.id)).toBe(2);
  });

  it('rejects bad input with 422/400 naming the field, and stores nothing', async () => {
    const m = await metric({ value_type: 'integer', dimensions: [{ name: 'region' }] });
    const cases: [object[], number, string][] = [
      [
        [
          { date: '2024-01-01', value: '1', coordinates: { region: 'EU' } },
          { date: '2024-01-02', value: '1.5', coordinates: { region: 'EU' } },
        ],
        422,
        'data_points[1].value',
      ],
      [
        [{ date: '2024-13-01', value: '1', coordinates: { region: 'EU' } }],
        422,
        'data_points[0].period_start',
      ],
      [
        [{ period_start: '2024-02-01', period_end: '2024-01-01', value: '1', coordinates: { region: 'EU' } }],
        422,
        'data_points[0].period_end',
      ],
      [[{ date: '2024-01-01', value: '1' }], 422, `data_points[0].coordinates.${m.dimensions[0].id}`],
      [
        [{ date: '2024-01-01', value: '1', coordinates: { region: 'EU', planet: 'Mars' } }],
        422,
        'data_points[0].coordinates.planet',
      ],
      [[{ date: '2024-01-01' }], 400, 'data_points[0].value'],
    ];
    for (const [points, status, field] of cases) {
      const res = await put(m.id, points);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const tooMany = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: `/v1/metrics/${m.id}/data_points`,
      payload: { data_points: [] },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(await count('data_points', m.id)).toBe(0);
    expect(await count('point_revisions', m.id)).toBe(0);
  });

  it('reads with period range, dimension filters and cursor paging', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    const points = ['EU', 'US'].flatMap((region) =>
      Array.from({ length: 6 }, (_, i) => ({
        date: `2023-0${i + 1}-01`,
        value: String(i + 1),
        coordinates: { region },
      })),
    );
    expect((await put(m.id, points)).statusCode).toBe(200);
    const seen: string[] = [];
    let url = `/v1/metrics/${m.id}/data_points?limit=5&from=2023-02-01&to=2023-05-01&coordinates=${encodeURIComponent('{"region":"EU"}')}`;
    for (;;) {
      const page = (await get(url)).json();
      for (const p of page.items) {
        expect(p.coordinates[m.dimensions[0].id]).toBe('EU');
        seen.push(p.period_start);
      }
      if (!page.next_cursor) break;
      url = `/v1/metrics/${m.id}/data_points?limit=5&from=2023-02-01&to=2023-05-01&coordinates=${encodeURIComponent('{"region":"EU"}')}&cursor=${page.next_cursor}`;
    }
    expect(seen.sort()).toEqual(['2023-02-01', '2023-03-01', '2023-04-01', '2023-05-01']);
    const bad = await get(`/v1/metrics/${m.id}/data_points?coordinates=nope`);
    expect(bad.statusCode).toBe(400);
  });

  it('rolls up with exact decimals: 0.1 + 0.2 is 0.3', async () => {
    const m = await metric();
    await put(m.id, [
      { date: '2024-01-05', value: '0.1' },
      { date: '2024-01-20', value: '0.2' },
      { date: '2024-02-10', value: '1.005' },
      { date: '2024-04-01', value: '-2' },
    ]);
    const month = (await get(`/v1/metrics/${m.id}/series?granularity=month&agg=sum`)).json();
    expect(month.points).toEqual([
      { period_start: '2024-01-01', value: '0.3', count: 2 },
      { period_start: '2024-02-01', value: '1.005', count: 1 },
      { period_start: '2024-04-01', value: '-2', count: 1 },
    ]);
    const quarter = (await get(`/v1/metrics/${m.id}/series?granularity=quarter&agg=avg`)).json();
    expect(quarter.points).toEqual([
      { period_start: '2024-01-01', value: '0.435', count: 3 },
      { period_start: '2024-04-01', value: '-2', count: 1 },
    ]);
    const year = async (agg: string) =>
      (await get(`/v1/metrics/${m.id}/series?granularity=year&agg=${agg}`)).json().points[0].value;
    expect(await year('sum')).toBe('-0.695');
    expect(await year('min')).toBe('-2');
    expect(await year('max')).toBe('1.005');
    expect(await year('last')).toBe('-2');
    expect(await year('count')).toBe('4');
    const text = await metric({ value_type: 'text' });
    const refused = await get(`/v1/metrics/${text.id}/series?agg=sum`);
    expect(refused.statusCode).toBe(422);
  });

  it('as_of reads the older value; revisions list every change; delete leaves a revision', async () => {
    const m = await metric();
    const first = (await put(m.id, [{ date: '2024-06-30', value: '10' }])).json().data_points[0];
    await sleep(15);
    const between = new Date().toISOString();
    await sleep(15);
    await put(m.id, [{ date: '2024-06-30', value: '12' }]);
    const now = (await get(`/v1/metrics/${m.id}/data_points`)).json().items;
    expect(now.map((p: { value: string }) => p.value)).toEqual(['12']);
    const then = (await get(`/v1/metrics/${m.id}/data_points?as_of=${between}`)).json().items;
    expect(then).toEqual([expect.objectContaining({ id: first.id, value: '10' })]);
    const before = (await get(`/v1/metrics/${m.id}/data_points?as_of=2000-01-01T00:00:00Z`)).json().items;
    expect(before).toEqual([]);
    const thenSeries = (await get(`/v1/metrics/${m.id}/series?granularity=year&as_of=${between}`)).json();
    expect(thenSeries.points[0].value).toBe('10');

    const del = await ctx().call(ctx().orgA.write, {
      method: 'DELETE',
      url: `/v1/metrics/${m.id}/data_points/${first.id}`,
    });
    expect(del.statusCode).toBe(204);
    expect((await get(`/v1/metrics/${m.id}/data_points`)).json().items).toEqual([]);
    const revs = (await get(`/v1/metrics/${m.id}/data_points/${first.id}/revisions`)).json().revisions;
    expect(
      revs.map((r: { op: string; old_value: string | null; new_value: string | null }) => [
        r.op,
        r.old_value,
        r.new_value,
      ]),
    ).toEqual([
      ['insert', null, '10'],
      ['update', '10', '12'],
      ['delete', '12', null],
    ]);
    expect(revs[0].actor).toEqual(expect.any(String));
    expect(revs[0].request_id).toEqual(expect.any(String));
    // The value as it was before the delete is still readable.
    await sleep(5);
    const again = await ctx().call(ctx().orgA.write, {
      method: 'DELETE',
      url: `/v1/metrics/${m.id}/data_points/${first.id}`,
    });
    expect(again.statusCode).toBe(404);
    // Writing the same identity again revives the same point id.
    const revived = (await put(m.id, [{ date: '2024-06-30', value: '7' }])).json().data_points[0];
    expect(revived.id).toBe(first.id);
  });

  it('deletes by period and coordinates', async () => {
    const m = await metric({ dimensions: [{ name: 'site' }] });
    await put(m.id, [
      { date: '2024-01-01', value: '1', coordinates: { site: 'A' } },
      { date: '2024-01-01', value: '2', coordinates: { site: 'B' } },
    ]);
    const url = `/v1/metrics/${m.id}/data_points?date=2024-01-01&coordinates=${encodeURIComponent('{"site":"A"}')}`;
    expect((await ctx().call(ctx().orgA.write, { method: 'DELETE', url })).statusCode).toBe(204);
    expect((await ctx().call(ctx().orgA.write, { method: 'DELETE', url })).statusCode).toBe(404);
    const left = (await get(`/v1/metrics/${m.id}/data_points`)).json().items;
    expect(left.map((p: { value: string }) => p.value)).toEqual(['2']);
  });

  it('Idempotency-Key: same key and body replays; another body is 422; nothing is applied twice', async () => {
    const m = await metric();
    const key = { 'idempotency-key': `k-${m.id}` };
    const first = await put(m.id, [{ date: '2024-01-01', value: '5' }], ctx().orgA.write, key);
    expect(first.statusCode).toBe(200);
    const revisions = await count('point_revisions', m.id);
    const replay = await put(m.id, [{ date: '2024-01-01', value: '5' }], ctx().orgA.write, key);
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(await count('point_revisions', m.id)).toBe(revisions);
    const other = await put(m.id, [{ date: '2024-01-01', value: '6' }], ctx().orgA.write, key);
    expect(other.statusCode).toBe(422);
    expect(other.json().errors[0].field).toBe('Idempotency-Key');
    expect((await get(`/v1/metrics/${m.id}/data_points`)).json().items[0].value).toBe('5');
    // Keys are per organization: the same key elsewhere is a fresh request.
    const theirs = await metric({}, ctx().orgB.admin);
    const elsewhere = await put(theirs.id, [{ date: '2024-01-01', value: '9' }], ctx().orgB.admin, key);
    expect(elsewhere.statusCode).toBe(200);
    expect(elsewhere.headers['idempotent-replayed']).toBeUndefined();
  });

  it("gives another organization's key 404 on every data point route, never the data", async () => {
    const m = await metric();
    const p = (await put(m.id, [{ date: '2024-01-01', value: '42.42' }])).json().data_points[0];
    const other = ctx().orgB.admin;
    const routes: [string, string, object?][] = [
      ['PUT', `/v1/metrics/${m.id}/data_points`, { data_points: [{ date: '2024-01-01', value: '0' }] }],
      ['GET', `/v1/metrics/${m.id}/data_points`],
      ['GET', `/v1/metrics/${m.id}/series`],
      ['GET', `/v1/metrics/${m.id}/data_points/${p.id}/revisions`],
      ['DELETE', `/v1/metrics/${m.id}/data_points/${p.id}`],
      ['DELETE', `/v1/metrics/${m.id}/data_points?date=2024-01-01`],
    ];
    for (const [method, url, payload] of routes) {
      const res = await ctx().call(other, { method: method as 'GET', url, payload });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.body).not.toContain('42.42');
    }
    const none = await ctx().app.inject({ method: 'GET', url: `/v1/metrics/${m.id}/data_points` });
    expect(none.statusCode).toBe(401);
    expect((await get(`/v1/metrics/${m.id}/data_points`)).json().items[0].value).toBe('42.42');
  });
});

describe.each(engines())('deleting definitions removes their values and history [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it('a deleted metric or dataset leaves no points or revisions behind', async () => {
    const count = (table: 'data_points' | 'point_revisions') => countRows(ctx().store, table);
    const ds = (
      await ctx().call(ctx().orgA.write, {
        method: 'POST',
        url: '/v1/datasets',
        payload: { name: 'Ops', metrics: [{ name: 'A' }, { name: 'B' }] },
      })
    ).json();
    const lone = (
      await ctx().call(ctx().orgA.write, { method: 'POST', url: '/v1/metrics', payload: { name: 'C' } })
    ).json();
    for (const id of [...ds.metrics.map((m: { id: string }) => m.id), lone.id]) {
      const res = await ctx().call(ctx().orgA.write, {
        method: 'PUT',
        url: `/v1/metrics/${id}/data_points`,
        payload: {
          data_points: [
            { date: '2024-01-01', value: '1' },
            { date: '2024-01-01', value: '2' },
          ],
        },
      });
      expect(res.statusCode).toBe(200);
    }
    expect(await count('data_points')).toBe(3);
    expect(await count('point_revisions')).toBe(6);
    expect(
      (await ctx().call(ctx().orgA.write, { method: 'DELETE', url: `/v1/metrics/${lone.id}` })).statusCode,
    ).toBe(204);
    expect(await count('data_points')).toBe(2);
    expect(await count('point_revisions')).toBe(4);
    expect(
      (await ctx().call(ctx().orgA.write, { method: 'DELETE', url: `/v1/datasets/${ds.id}` })).statusCode,
    ).toBe(204);
    expect(await count('data_points')).toBe(0);
    expect(await count('point_revisions')).toBe(0);
  });
});
