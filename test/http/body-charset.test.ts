import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countEach } from '../helpers/rows.ts';
import { createProgram } from '../helpers/workiva.ts';

// Issue 10, defect 7: a body that declares a charset other than UTF-8 (or its subset
// US-ASCII) was read as UTF-8. It is refused before any parser runs: 415 in the route's
// dialect shape, nothing stored. And a number where a vendor documents a string is refused.

const UTF16 = 'application/json; charset=utf-16';

describe.each(engines())('body charset [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const tables = ['datasets', 'metrics', 'data_points', 'jobs'] as const;
  const counts = () => countEach(ctx().store, tables);
  const utf16 = (text: string) => Buffer.from(text, 'utf16le');

  const metricId = async () => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/metrics',
      payload: { name: 'M' },
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { metric: { id: string } }).metric.id;
  };

  it('native JSON and CSV bodies: 415 problem+json, nothing stored', async () => {
    const before = await counts();
    const json = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      headers: { 'content-type': UTF16 },
      payload: utf16('{"name":"D"}'),
    });
    expect(expectProblem(json, 415).detail).toContain('utf-16');
    const csv = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/imports?format=csv',
      headers: { 'content-type': 'text/csv; charset="ISO-8859-1"' },
      payload: Buffer.from('metric_id,date,value\n', 'latin1'),
    });
    expect(expectProblem(csv, 415).detail).toContain('iso-8859-1');
    expect(await counts()).toEqual(before);
  });

  it('UTF-8 and US-ASCII, in any case and quoted, are read as before', async () => {
    for (const type of [
      'application/json; charset=UTF-8',
      'application/json;charset="utf-8"',
      'application/json; charset=us-ascii',
    ]) {
      const res = await ctx().call(ctx().orgA.write, {
        method: 'POST',
        url: '/v1/datasets',
        headers: { 'content-type': type },
        payload: '{"name":"ok"}',
      });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(201);
    }
  });

  it('Visible: 415 in Visible shape, nothing stored', async () => {
    const id = await metricId();
    const before = await counts();
    const res = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: `/metrics/${id}/data_points`,
      headers: { 'content-type': UTF16 },
      payload: utf16('{"data_points":[{"date":"2019-01-01","value":"10.99"}]}'),
    });
    expect(res.statusCode, res.body).toBe(415);
    expect(res.json()).toEqual({
      errors: [{ type: 'parameter_invalid', message: expect.stringContaining('utf-16') }],
    });
    expect(await counts()).toEqual(before);
  });

  it('Workiva: 415 in Workiva shape, no operation accepted', async () => {
    const p = await createProgram(ctx(), ctx().orgA.admin);
    const before = await counts();
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: `/prototype/platform/programs/${p.programId}/metrics/${p.otherMetricId}/values/batchUpsertion`,
      headers: { 'content-type': 'application/json; charset=utf-16le' },
      payload: utf16('{"data":[{"reportingPeriod":{"year":2024,"start":1,"end":1},"value":"1"}]}'),
    });
    expect(res.statusCode, res.body).toBe(415);
    expect(res.json()).toEqual({
      code: '415UnsupportedMediaType',
      message: expect.stringContaining('utf-16le'),
    });
    expect(await counts()).toEqual(before);
  });

  it('Visible and Workiva refuse a number where they document a string, nothing stored', async () => {
    const id = await metricId();
    const p = await createProgram(ctx(), ctx().orgA.admin);
    const before = await counts();
    const visible = await ctx().call(ctx().orgA.write, {
      method: 'PUT',
      url: `/metrics/${id}/data_points`,
      payload: { data_points: [{ date: 20190101, value: '1' }] },
    });
    expect(visible.statusCode, visible.body).toBe(400);
    expect(visible.json()).toEqual({
      errors: [{ type: 'parameter_invalid', field: 'data_points[0].date', message: 'must be string' }],
    });
    const workiva = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: `/prototype/platform/programs/${p.programId}/metrics/${p.otherMetricId}/values/batchUpsertion`,
      payload: { data: [{ reportingPeriod: { year: 2024, start: 1, end: 1 }, value: '1', notes: -1e308 }] },
    });
    expect(workiva.statusCode, workiva.body).toBe(400);
    expect(workiva.json()).toMatchObject({
      code: '400BadRequest',
      details: [expect.objectContaining({ message: 'must be string' })],
    });
    expect(await counts()).toEqual(before);
  });
});
