import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';

describe.each(engines())('If-Match on PATCH and DELETE [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const call = (
    method: 'GET' | 'PATCH' | 'DELETE',
    url: string,
    headers: Record<string, string> = {},
    body?: object,
  ) =>
    ctx().call(method === 'GET' ? ctx().orgA.read : ctx().orgA.write, {
      method,
      url,
      headers,
      payload: body,
    });
  const newDataset = async () => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      payload: { name: 'Energy', metrics: [{ name: 'Power', unit: 'kW' }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; metrics: { id: string }[] };
  };
  const read = async (url: string) => {
    const res = await call('GET', url);
    expect(res.statusCode).toBe(200);
    return { tag: res.headers.etag as string, body: res.json() as { name: string } };
  };

  it('applies a PATCH whose If-Match is the current ETag, and answers with the new one', async () => {
    const { id } = await newDataset();
    const before = await read(`/v1/datasets/${id}`);
    const res = await call('PATCH', `/v1/datasets/${id}`, { 'if-match': before.tag }, { name: 'Energy 2' });
    expect(res.statusCode, res.body).toBe(200);
    const after = await read(`/v1/datasets/${id}`);
    expect(after.body.name).toBe('Energy 2');
    expect(res.headers.etag).toBe(after.tag);
    expect(after.tag).not.toBe(before.tag);
  });

  it('refuses a PATCH or DELETE with a stale ETag with 412, changing nothing (a lost update prevented)', async () => {
    const { id } = await newDataset();
    const stale = await read(`/v1/datasets/${id}`);
    // Someone else changes it meanwhile.
    expect((await call('PATCH', `/v1/datasets/${id}`, {}, { name: 'Theirs' })).statusCode).toBe(200);
    const current = await read(`/v1/datasets/${id}`);

    const mine = await call('PATCH', `/v1/datasets/${id}`, { 'if-match': stale.tag }, { name: 'Mine' });
    const problem = expectProblem(mine, 412);
    expect(problem.title).toBe('Precondition failed');
    const gone = await call('DELETE', `/v1/datasets/${id}`, { 'if-match': stale.tag });
    expectProblem(gone, 412);
    const still = await read(`/v1/datasets/${id}`);
    expect(still.body.name).toBe('Theirs');
    expect(still.tag).toBe(current.tag);

    expect((await call('DELETE', `/v1/datasets/${id}`, { 'if-match': current.tag })).statusCode).toBe(204);
    expectProblem(await call('GET', `/v1/datasets/${id}`), 404);
  });

  it('takes a list of tags or *, and a change to a metric changes its dataset’s tag', async () => {
    const { id, metrics } = await newDataset();
    const dataset = await read(`/v1/datasets/${id}`);
    const metric = await read(`/v1/metrics/${metrics[0].id}`);
    const res = await call(
      'PATCH',
      `/v1/metrics/${metrics[0].id}`,
      { 'if-match': `W/"other", ${metric.tag}` },
      { unit: 'MW' },
    );
    expect(res.statusCode, res.body).toBe(200);
    expectProblem(await call('PATCH', `/v1/datasets/${id}`, { 'if-match': dataset.tag }, { name: 'x' }), 412);
    expect((await read(`/v1/datasets/${id}`)).body.name).toBe('Energy');
    expect(
      (await call('PATCH', `/v1/metrics/${metrics[0].id}`, { 'if-match': '*' }, { unit: 'GW' })).statusCode,
    ).toBe(200);
    expectProblem(await call('DELETE', `/v1/metrics/${metrics[0].id}`, { 'if-match': metric.tag }), 412);
    expect((await read(`/v1/metrics/${metrics[0].id}`)).body).toMatchObject({ unit: 'GW' });
  });

  it('answers another organization 404, never 412, whatever it sends', async () => {
    const { id, metrics } = await newDataset();
    const { tag } = await read(`/v1/datasets/${id}`);
    for (const [method, url] of [
      ['PATCH', `/v1/datasets/${id}`],
      ['DELETE', `/v1/datasets/${id}`],
      ['PATCH', `/v1/metrics/${metrics[0].id}`],
      ['DELETE', `/v1/metrics/${metrics[0].id}`],
    ] as const) {
      for (const ifMatch of [tag, 'W/"stale"']) {
        const res = await ctx().call(ctx().orgB.admin, {
          method,
          url,
          headers: { 'if-match': ifMatch },
          payload: method === 'PATCH' ? { name: 'stolen' } : undefined,
        });
        expectProblem(res, 404);
      }
    }
    expect((await read(`/v1/datasets/${id}`)).tag).toBe(tag);
  });
});
