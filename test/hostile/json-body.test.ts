import { describe, expect, it } from 'vitest';
import { JSON_MAX_DEPTH } from '../../src/http/json-body.ts';
import { analyticsCounts } from '../helpers/analytics.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countEach } from '../helpers/rows.ts';
import { createProgram, expectWorkivaError } from '../helpers/workiva.ts';

// Every JSON body (application/json and +json) goes through one parser that, in one linear
// pass, refuses nesting deeper than JSON_MAX_DEPTH, the escape \u0000 and numbers that
// overflow to Infinity, with 400 in the route's dialect and nothing stored.
const nested = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
const DEEP = nested(5000);
const TABLES = ['datasets', 'metrics', 'data_points', 'jobs', 'idempotency_keys'] as const;

describe.each(engines())('hostile JSON bodies [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const counts = async () => ({
    ...(await countEach(ctx().store, [...TABLES])),
    ...(await analyticsCounts(ctx().store)),
  });
  const json = { 'content-type': 'application/json' };

  it('native PUT with an Idempotency-Key and a 5,000-level body → 400 problem+json', async () => {
    const m = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/metrics',
      payload: { name: 'n' },
    });
    const before = await counts();
    const res = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: `/v1/metrics/${m.json().id}/data_points`,
      headers: { ...json, 'idempotency-key': 'deep-1' },
      payload: `{"data_points":[{"date":"2024-01-01","value":"1","notes":${DEEP}}]}`,
    });
    const problem = expectProblem(res, 400);
    expect(problem.detail).toMatch(/deeper than 64/);
    expect(await counts()).toEqual(before);
  });

  it('accepts nesting up to the limit', async () => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      headers: json,
      payload: `{"name":"ok","description":null,"x":${nested(JSON_MAX_DEPTH - 1)}}`,
    });
    expect(res.statusCode, res.body).not.toBeGreaterThanOrEqual(500);
  });

  it('Vitally traits and properties 5,000 levels deep → 400 Vitally shape', async () => {
    const before = await counts();
    for (const msg of [
      `{"type":"user","userId":"u1","messageId":"m1","traits":{"a":${DEEP}}}`,
      `{"type":"track","userId":"u1","event":"e","messageId":"m2","properties":{"a":${DEEP}}}`,
    ]) {
      const res = await ctx().call(ctx().orgA.write, {
        method: 'POST',
        url: '/analytics/v1/batch',
        headers: json,
        payload: `[${msg}]`,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({
        message: expect.stringMatching(/deeper/),
        errors: [expect.any(Object)],
      });
    }
    expect(await counts()).toEqual(before);
  });

  it('Workiva dataSource 5,000 levels deep → 400 400BadRequest, no operation', async () => {
    const p = await createProgram(ctx(), ctx().orgA.admin);
    const before = await counts();
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: `/prototype/platform/programs/${p.programId}/metrics/${p.otherMetricId}/values/batchUpsertion`,
      headers: json,
      payload: `{"data":[{"reportingPeriod":{"year":2024,"start":1,"end":1},"value":"1","dataSource":${DEEP}}]}`,
    });
    expectWorkivaError(res, 400, '400BadRequest');
    expect(await counts()).toEqual(before);
  });

  it('a \\u0000 escape or an overflowing number anywhere in a JSON body → 400, nothing stored', async () => {
    const before = await counts();
    for (const payload of ['{"name":"a\\u0000b"}', '{"name":"ok","description":"x\\u0000"}']) {
      const res = await ctx().call(ctx().orgA.write, {
        method: 'POST',
        url: '/v1/datasets',
        headers: json,
        payload,
      });
      expect(expectProblem(res, 400).detail).toMatch(/NUL/);
    }
    const big = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/metrics',
      headers: json,
      payload: '{"name":"n","sort_order":1e400}',
    });
    expectProblem(big, 400);
    const dcycle = await ctx().app.inject({
      method: 'POST',
      url: '/v1/custom-kpi-datasets',
      headers: { ...json, 'x-api-key': ctx().orgA.write },
      payload: '{"name":"a\\u0000"}',
    });
    expect(dcycle.statusCode, dcycle.body).toBe(422);
    expect(Array.isArray(dcycle.json().detail)).toBe(true);
    const visible = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/metrics',
      headers: json,
      payload: '{"name":"a\\u0000","frequency":"monthly","unit":"number"}',
    });
    expect(visible.statusCode, visible.body).toBe(400);
    expect(visible.json().errors[0].type).toBe('parameter_invalid');
    expect(await counts()).toEqual(before);
  });

  it('keeps the __proto__ poisoning protection', async () => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      headers: json,
      payload: '{"name":"p","__proto__":{"x":1}}',
    });
    expectProblem(res, 400);
  });

  it('parses a +json content type with the same guard', async () => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      headers: { 'content-type': 'application/merge-patch+json' },
      payload: `{"name":"x","d":${DEEP}}`,
    });
    expectProblem(res, 400);
  });
});
