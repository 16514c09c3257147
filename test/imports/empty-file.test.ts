import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { countEach } from '../helpers/rows.ts';

// One rule for every file import: an empty file, or one with a header alone (or blank
// lines, or `[]`), is refused at once with 400 naming line 1, and no job is made.

describe.each(engines())('empty files are refused up front [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const stored = () => countEach(ctx().store, ['jobs', 'job_payload_chunks', 'data_points']);

  it.each([
    ['no body', undefined],
    ['an empty body', ''],
    ['the header alone', 'External ID,Current Metric Value,As Of Date\n'],
  ])('AchieveIt: %s → 400 {message, errors} naming line 1', async (_, payload) => {
    const before = await stored();
    const res = await ctx().app.inject({
      method: 'POST',
      url: '/api/metricupdates/empty.csv',
      headers: {
        authorization: `API-KEY ${ctx().orgA.write}`,
        ...(payload === undefined ? {} : { 'content-type': 'text/csv' }),
      },
      ...(payload === undefined ? {} : { payload }),
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({
      message: expect.stringContaining('empty file'),
      errors: [{ line: 1, field: 'lines[1]', reason: expect.stringContaining('empty file') }],
    });
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['an empty CSV', '', 'text/csv'],
    ['a CSV header alone', 'metric_external_id,date,value\n', 'text/csv'],
    ['a CSV of blank lines', '\n\n,,\n', 'text/csv'],
    ['an empty NDJSON', '\n\n', 'application/x-ndjson'],
    ['an empty JSON array', '[ ]', 'application/json'],
  ])('native: %s → 400 problem naming line 1, no job', async (_, payload, type) => {
    const before = await stored();
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/imports',
      headers: { 'content-type': type },
      payload,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      status: 400,
      errors: [{ field: 'lines[1]', line: 1, message: expect.stringContaining('empty file') }],
    });
    expect(await stored()).toEqual(before);
  });

  it('native: no body and no content type at all → 400 empty file, no job (it answered 500)', async () => {
    const before = await stored();
    const res = await ctx().call(ctx().orgA.write, { method: 'POST', url: '/v1/imports?format=csv' });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      status: 400,
      errors: [{ field: 'lines[1]', line: 1, message: expect.stringContaining('empty file') }],
    });
    const bare = await ctx().call(ctx().orgA.write, { method: 'POST', url: '/v1/imports' });
    expect(bare.statusCode, bare.body).toBeGreaterThanOrEqual(400);
    expect(bare.statusCode, bare.body).toBeLessThan(500);
    expect(bare.headers['content-type']).toContain('application/problem+json');
    expect(await stored()).toEqual(before);
  });

  it('a file with one row is still taken (202)', async () => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/imports',
      headers: { 'content-type': 'text/csv' },
      payload: 'metric_external_id,date,value\nNOPE,2024-01-01,1\n',
    });
    expect(res.statusCode, res.body).toBe(202);
  });
});
