import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { countDefinitions, expectProblem } from '../helpers/native.ts';

// A body over KPIHUB_BODY_LIMIT is refused with 413 in the route's dialect, before it is
// parsed, and nothing is stored.
describe.each(engines())('request body limit [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_BODY_LIMIT: '2048' });
  // Valid in every other respect: only its size is wrong.
  const metrics = Array.from({ length: 30 }, (_, i) => ({ name: `metric number ${i}` }));
  const big = { name: 'big', description: 'd'.repeat(1500), metrics };
  const kpis = { name: 'big', description: big.description, kpis: metrics };

  it('reads the limit from the setting', () => {
    expect(ctx().config.bodyLimit).toBe(2048);
    expect(JSON.stringify(big).length).toBeGreaterThan(2048);
  });

  it('answers 413 problem+json on a native route and stores nothing', async () => {
    const before = await countDefinitions(ctx().store);
    const res = await ctx().call(ctx().orgA.write, { method: 'POST', url: '/v1/datasets', payload: big });
    const problem = expectProblem(res, 413);
    expect(problem.title).toBe('Payload too large');
    expect(await countDefinitions(ctx().store)).toEqual(before);
  });

  it('answers 413 in Dcycle shape on a Dcycle route and stores nothing', async () => {
    const before = await countDefinitions(ctx().store);
    const res = await ctx().app.inject({
      method: 'POST',
      url: '/v1/custom-kpi-datasets',
      headers: { 'x-api-key': ctx().orgA.write },
      payload: kpis,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: expect.any(String), code: 'PAYLOAD_TOO_LARGE' });
    expect(await countDefinitions(ctx().store)).toEqual(before);
  });

  it('answers 413 also when the client sends no content-length (chunked)', async () => {
    const before = await countDefinitions(ctx().store);
    const { Readable } = await import('node:stream');
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      headers: { 'content-type': 'application/json' },
      payload: Readable.from([Buffer.from(JSON.stringify(big))]),
    });
    expectProblem(res, 413);
    expect(await countDefinitions(ctx().store)).toEqual(before);
  });

  it('still accepts a body under the limit', async () => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      payload: { name: 'small', metrics: [{ name: 'one' }] },
    });
    expect(res.statusCode).toBe(201);
  });

  it('asks for the key before it reads a large body', async () => {
    const res = await ctx().app.inject({ method: 'POST', url: '/v1/datasets', payload: big });
    expectProblem(res, 401);
  });
});
