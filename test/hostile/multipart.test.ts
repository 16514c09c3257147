import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countEach } from '../helpers/rows.ts';

// A multipart upload without a boundary, or cut short, is the client's fault: 400 in the
// dialect shape, no job, no spool file left.
describe.each(engines())('malformed multipart uploads [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const spoolFiles = () => {
    const dir = ctx().config.dataDir;
    const walk = (d: string): string[] =>
      existsSync(d)
        ? readdirSync(d, { withFileTypes: true }).flatMap((e) =>
            e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.part') ? [e.name] : [],
          )
        : [];
    return walk(dir);
  };
  const B = 'XyZ123';
  const truncated = `--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nmetric_id,date,value\r\nabc,2024-01-01,1\r\n`;

  it.each([
    ['no boundary', 'multipart/form-data', truncated],
    ['a truncated body', `multipart/form-data; boundary=${B}`, truncated],
  ])('native /v1/imports with %s → 400 problem+json, nothing stored', async (_what, type, payload) => {
    const before = await countEach(ctx().store, ['jobs', 'data_points']);
    const spooled = spoolFiles();
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/imports?format=csv',
      headers: { 'content-type': type },
      payload,
    });
    expectProblem(res, 400);
    expect(await countEach(ctx().store, ['jobs', 'data_points'])).toEqual(before);
    expect(spoolFiles()).toEqual(spooled);
  });

  it('AchieveIt upload with a multipart type and no boundary is not a 500', async () => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/api/metricupdates/a.csv',
      headers: { 'content-type': 'multipart/form-data' },
      payload: truncated,
    });
    expect(res.statusCode, res.body).toBeLessThan(500);
  });
});
