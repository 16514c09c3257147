import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { countDefinitions, expectProblem } from '../helpers/native.ts';
import { expectWorkivaError } from '../helpers/workiva.ts';

// Errors answered before any route runs come in the dialect shape of the URL's prefix.
describe.each(engines())('framework errors in the dialect shape [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const wk = (id: string) => `/prototype/platform/programs/${id}/metrics/${id}/values`;
  const long = (n: number) => 'a'.repeat(n);

  it('a bad %-encoding → 400 in the route dialect', async () => {
    const before = await countDefinitions(ctx().store);
    expectProblem(
      await ctx().call(ctx().orgA.admin, {
        method: 'PATCH',
        url: '/v1/datasets/%zz',
        payload: { name: 'x' },
      }),
      400,
    );
    expectWorkivaError(
      await ctx().call(ctx().orgA.read, { method: 'GET', url: wk('%zz') }),
      400,
      '400BadRequest',
    );
    const d = await ctx().app.inject({
      method: 'GET',
      url: '/v1/custom-kpi-datasets/%zz',
      headers: { 'x-api-key': ctx().orgA.read },
    });
    expect(d.statusCode).toBe(422);
    expect(d.json()).toMatchObject({ detail: [expect.objectContaining({ loc: expect.any(Array) })] });
    const v = await ctx().call(ctx().orgA.read, { method: 'GET', url: '/metrics/%zz/data_points' });
    expect(v.statusCode).toBe(400);
    expect(v.json().errors[0].type).toBe('parameter_invalid');
    expectProblem(await ctx().app.inject({ method: 'GET', url: '/nowhere/%zz' }), 400);
    expect(await countDefinitions(ctx().store)).toEqual(before);
  });

  it('a 300-character id is a clean 404; past the limit a dialect-shaped 414', async () => {
    expectProblem(
      await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/datasets/${long(300)}` }),
      400,
    );
    const w = await ctx().call(ctx().orgA.read, { method: 'GET', url: wk(long(300)) });
    expect(w.statusCode).toBeLessThan(500);
    expect(w.json().code).toMatch(/^4\d\d/);
    expectProblem(
      await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/datasets/${long(600)}` }),
      414,
    );
    expectWorkivaError(
      await ctx().call(ctx().orgA.read, { method: 'GET', url: wk(long(600)) }),
      414,
      '414URITooLong',
    );
    const d = await ctx().app.inject({
      method: 'GET',
      url: `/v1/custom-kpi-datasets/${long(600)}`,
      headers: { 'x-api-key': ctx().orgA.read },
    });
    expect(d.statusCode).toBe(414);
    expect(d.json()).toEqual({ detail: expect.any(String), code: expect.any(String) });
  });

  it('a URL over 16 KB → 431 with a JSON body in the dialect shape (real server)', async () => {
    const app = ctx().app;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const get = (path: string) =>
      new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
          );
        });
        req.on('error', reject);
        req.end();
      });
    const native = await get(`/v1/metrics?x=${long(20_000)}`);
    expect(native.status).toBe(431);
    expect(native.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(native.body)).toMatchObject({ status: 431, title: expect.any(String) });
    const workiva = await get(`${wk('x')}?x=${long(20_000)}`);
    expect(workiva.status).toBe(431);
    expect(JSON.parse(workiva.body)).toMatchObject({ code: '431RequestHeaderFieldsTooLarge' });
  });
});
