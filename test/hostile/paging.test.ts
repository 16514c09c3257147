import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countEach } from '../helpers/rows.ts';
import { createProgram, expectWorkivaError, valuesUrl } from '../helpers/workiva.ts';

// Paging values that coerce to Infinity, NaN, -0 or beyond 2^53 are refused by the query
// schemas (finite safe integers within the documented bound) before any handler runs.
const HOSTILE = ['Infinity', '-Infinity', '1e20', '1e400', '1e+308', 'NaN', '-0', '9007199254740993', '1.5'];
const TABLES = ['datasets', 'metrics', 'data_points'] as const;

describe.each(engines())('hostile paging values [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it.each(HOSTILE)('native ?limit=%s → 400 problem+json', async (v) => {
    const before = await countEach(ctx().store, [...TABLES]);
    const res = await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/metrics?limit=${v}` });
    expectProblem(res, 400);
    expect(await countEach(ctx().store, [...TABLES])).toEqual(before);
  });

  it.each(HOSTILE)('Visible ?page=%s → 400 parameter_invalid', async (v) => {
    for (const url of [
      `/metrics?page=${v}`,
      `/data_points?metric_id=x&page=${v}`,
      `/metrics?page_size=${v}`,
    ]) {
      const res = await ctx().call(ctx().orgA.read, { method: 'GET', url });
      expect(res.statusCode, `${url} ${res.body}`).toBe(400);
      expect(res.json().errors[0].type).toBe('parameter_invalid');
    }
  });

  it.each(HOSTILE)('Dcycle ?size=%s and ?page=%s → 422 detail', async (v) => {
    for (const q of [`size=${v}`, `page=${v}`]) {
      const res = await ctx().app.inject({
        method: 'GET',
        url: `/v1/custom-kpi-datasets?${q}`,
        headers: { 'x-api-key': ctx().orgA.read },
      });
      expect(res.statusCode, `${q} ${res.body}`).toBe(422);
      const body = res.json();
      expect(Array.isArray(body.detail)).toBe(true);
      expect(body.detail[0]).toMatchObject({ loc: expect.any(Array), msg: expect.any(String) });
    }
  });

  it.each(HOSTILE)('Workiva ?$maxpagesize=%s → 400 400BadRequest', async (v) => {
    const p = await createProgram(ctx(), ctx().orgA.admin);
    const res = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `${valuesUrl(p)}?$maxpagesize=${v}`,
    });
    expectWorkivaError(res, 400, '400BadRequest');
  });

  it('still accepts the documented bounds', async () => {
    expect(
      (await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/metrics?limit=100' })).statusCode,
    ).toBe(200);
    expect(
      (await ctx().call(ctx().orgA.read, { method: 'GET', url: '/metrics?page=3&page_size=100' })).statusCode,
    ).toBe(200);
    const d = await ctx().app.inject({
      method: 'GET',
      url: '/v1/custom-kpi-datasets?page=2&size=100',
      headers: { 'x-api-key': ctx().orgA.read },
    });
    expect(d.statusCode, d.body).toBe(200);
  });
});
