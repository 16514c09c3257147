import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countEach } from '../helpers/rows.ts';

// Values PostgreSQL cannot hold are refused up front on both engines: year 0000 dates in
// writes and in from/to/as_of, sort_order past the int4 column, NUL in query and path.
const TABLES = ['datasets', 'metrics', 'data_points', 'point_revisions'] as const;

describe.each(engines())('dates, sort_order and NUL refused on both engines [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const counts = () => countEach(ctx().store, [...TABLES]);
  const metric = async (body: object = {}) => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/metrics',
      payload: { name: 'm', ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; dimensions: { id: string }[] };
  };

  it('year 0000 in native and Visible writes → 4xx in the dialect shape, nothing stored', async () => {
    const m = await metric();
    const before = await counts();
    for (const point of [
      { date: '0000-01-01', value: '1' },
      { period_start: '0000-02-01', value: '1' },
    ]) {
      const res = await ctx().call(ctx().orgA.write, {
        method: 'PUT',
        url: `/v1/metrics/${m.id}/data_points`,
        payload: { data_points: [point] },
      });
      expectProblem(res, 422);
    }
    const v = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: `/metrics/${m.id}/data_points`,
      payload: { data_points: [{ date: '0000-01-01', value: '1' }] },
    });
    expect(v.statusCode, v.body).toBe(422);
    expect(v.json().errors[0]).toMatchObject({
      type: 'attribute_invalid',
      field: expect.stringContaining('date'),
    });
    expect(await counts()).toEqual(before);
  });

  it('year 0000 or past 9999 in from / to / as_of / start_date → 4xx, never 500', async () => {
    const m = await metric();
    for (const q of [
      'from=0000-01-01',
      'to=0000-12-31',
      'as_of=0000-01-01T00:00:00Z',
      'as_of=+010000-01-01T00:00:00Z',
    ]) {
      const res = await ctx().call(ctx().orgA.read, {
        method: 'GET',
        url: `/v1/metrics/${m.id}/data_points?${q}`,
      });
      expect(res.statusCode, `${q} ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${q} ${res.body}`).toBeLessThan(500);
      expectProblem(res, res.statusCode);
    }
    for (const q of ['start_date=0000-01-01', 'end_date=0000-01-01']) {
      const res = await ctx().call(ctx().orgA.read, {
        method: 'GET',
        url: `/data_points?metric_id=${m.id}&${q}`,
      });
      expect(res.statusCode, `${q} ${res.body}`).toBe(400);
      expect(res.json().errors[0].type).toBe('parameter_invalid');
    }
  });

  it('sort_order past 2^31-1 (the int4 column) or 2^53 → 400, nothing stored', async () => {
    const before = await counts();
    for (const n of ['2147483648', '9007199254740993', '1e300']) {
      const res = await ctx().call(ctx().orgA.write, {
        method: 'POST',
        url: '/v1/metrics',
        headers: { 'content-type': 'application/json' },
        payload: `{"name":"s","sort_order":${n}}`,
      });
      expectProblem(res, 400);
    }
    const d = await ctx().app.inject({
      method: 'POST',
      url: '/v1/custom-kpi-datasets',
      headers: { 'x-api-key': ctx().orgA.write, 'content-type': 'application/json' },
      payload: '{"name":"d","kpis":[{"name":"k","value_type":"number","sort_order":9007199254740993}]}',
    });
    expect(d.statusCode, d.body).toBe(422);
    expect(d.json().detail[0].loc).toEqual(expect.arrayContaining(['sort_order']));
    expect(await counts()).toEqual(before);
  });

  it('sort_order given as text that a dialect coerces to ±Infinity or past int4 → 422, nothing stored, reads stay 200', async () => {
    const dcycle = (method: string, url: string, payload?: string) =>
      ctx().app.inject({
        method: method as 'GET',
        url,
        headers: { 'x-api-key': ctx().orgA.write, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { payload }),
      });
    const created = await dcycle(
      'POST',
      '/v1/custom-kpi-datasets',
      '{"name":"d","kpis":[{"name":"k","value_type":"number","sort_order":1}]}',
    );
    expect(created.statusCode, created.body).toBe(201);
    const ds = created.json() as { id: string; kpis: { id: string }[] };
    const before = await counts();
    for (const v of ['"-Infinity"', '"Infinity"', '"1e400"', '"-1e400"', '"2147483648"', '"-2147483649"']) {
      const post = await dcycle(
        'POST',
        '/v1/custom-kpi-datasets',
        `{"name":"d","kpis":[{"name":"k","value_type":"number","sort_order":${v}}]}`,
      );
      expect(post.statusCode, `${v} ${post.body}`).toBe(422);
      expect(post.json().detail[0].loc, v).toEqual(expect.arrayContaining(['sort_order']));
      const put = await dcycle(
        'PUT',
        `/v1/custom-kpi-datasets/${ds.id}/kpis/${ds.kpis[0].id}`,
        `{"name":"k","value_type":"number","required":true,"sort_order":${v}}`,
      );
      expect(put.statusCode, `${v} ${put.body}`).toBe(422);
      expect(put.json().detail[0].loc, v).toEqual(expect.arrayContaining(['sort_order']));
    }
    expect(await counts()).toEqual(before);
    expect((await dcycle('GET', '/v1/custom-kpi-datasets')).statusCode).toBe(200);
    expect((await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/datasets' })).statusCode).toBe(200);
  });

  it('event counts with a year 0000 from/to → 400 problem naming it (it answered 500 on PostgreSQL)', async () => {
    for (const q of ['from=0000-01-01', 'to=0000-01-01', 'from=0000-01-01&to=0000-01-01']) {
      const res = await ctx().call(ctx().orgA.read, {
        method: 'GET',
        url: `/v1/events/counts?event=signup&granularity=day&${q}`,
      });
      const body = expectProblem(res, 400);
      expect(JSON.stringify(body.errors), q).toMatch(/"field":"(from|to)"/);
    }
  });

  it('NUL in a query value or a path parameter → 400; a coordinates filter with NUL is a 400', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    const filter = encodeURIComponent('{"region":"E\u0000U"}');
    const res = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/v1/metrics/${m.id}/data_points?coordinates=${filter}`,
    });
    expect(expectProblem(res, 400).errors[0].field).toBe('coordinates');
    expectProblem(await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/metrics?cursor=a%00b' }), 400);
    const v = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: '/metrics/a%00b/data_points',
      payload: { data_points: [{ date: '2024-01-01', value: '1' }] },
    });
    expect(v.statusCode, v.body).toBe(400);
    expect(v.json().errors[0].type).toBe('parameter_invalid');
    const before = await counts();
    const put = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: `/v1/metrics/${m.id}/data_points`,
      payload: { data_points: [{ date: '2024-01-01', value: '1', coordinates: { region: 'E\u0000U' } }] },
    });
    expectProblem(put, 400);
    expect(await counts()).toEqual(before);
  });
});
