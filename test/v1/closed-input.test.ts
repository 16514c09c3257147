import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countRows } from '../helpers/rows.ts';

// Issue 10, defect 1 and 7: the native API's bodies and query strings are closed (an unknown
// property is a 400 naming it, nothing changed), bodies are not coerced, and no body can set
// ids, organization, audit fields or move a metric into another dataset.

interface Row {
  [column: string]: unknown;
}

describe.each(engines())('native closed input [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const A = () => ctx().orgA.admin;
  const B = () => ctx().orgB.admin;

  const dataset = async (key: string, body: object = { name: 'D', metrics: [{ name: 'm' }] }) => {
    const res = await ctx().call(key, { method: 'POST', url: '/v1/datasets', payload: body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; metrics: { id: string }[] };
  };
  const datasetRow = (id: string) =>
    ctx()
      .store.db.selectFrom('datasets')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow() as Promise<Row>;
  const metricRow = (id: string) =>
    ctx().store.db.selectFrom('metrics').selectAll().where('id', '=', id).executeTakeFirst() as Promise<
      Row | undefined
    >;

  it('PATCH /v1/datasets/{id} with an unknown field: 400 naming it, nothing changed', async () => {
    const ds = await dataset(A());
    const before = await datasetRow(ds.id);
    const res = await ctx().call(A(), {
      method: 'PATCH',
      url: `/v1/datasets/${ds.id}`,
      payload: { description: 'x', a: 1 },
    });
    const body = expectProblem(res, 400);
    expect(body.errors).toContainEqual({ field: 'a', message: 'is not a known field' });
    expect(await datasetRow(ds.id)).toEqual(before);
  });

  it('PATCH /v1/metrics/{id} with an unknown field: 400 naming it, nothing changed', async () => {
    const ds = await dataset(A());
    const id = ds.metrics[0].id;
    const before = await metricRow(id);
    const res = await ctx().call(A(), {
      method: 'PATCH',
      url: `/v1/metrics/${id}`,
      payload: { name: 'renamed', colour: 'red' },
    });
    expect(expectProblem(res, 400).errors).toContainEqual({
      field: 'colour',
      message: 'is not a known field',
    });
    expect(await metricRow(id)).toEqual(before);
  });

  it.each([
    ['datasets', { created_by: 'ceo', created_at: '1999-01-01T00:00:00Z' }],
    ['datasets', { name: 'n', updated_by: 'ceo', updated_at: '1999-01-01T00:00:00Z' }],
    ['datasets', { name: 'n', id: '00000000-0000-4000-8000-000000000000' }],
    ['datasets', { name: 'n', org_id: '00000000-0000-4000-8000-000000000000' }],
    ['metrics', { created_by: 'ceo', created_at: '1999-01-01T00:00:00Z' }],
    ['metrics', { name: 'n', org_id: '00000000-0000-4000-8000-000000000000' }],
  ] as const)('PATCH /v1/%s refuses audit fields, ids and organization: %j', async (what, payload) => {
    const ds = await dataset(A());
    const id = what === 'datasets' ? ds.id : ds.metrics[0].id;
    const row = () => (what === 'datasets' ? datasetRow(id) : metricRow(id));
    const before = await row();
    const res = await ctx().call(A(), { method: 'PATCH', url: `/v1/${what}/${id}`, payload });
    const fields = expectProblem(res, 400).errors.map((e) => e.field);
    for (const field of Object.keys(payload).filter((k) => k !== 'name')) expect(fields).toContain(field);
    expect(await row()).toEqual(before);
    expect(before?.created_by).not.toBe('ceo');
  });

  it("organization B cannot move its metric into A's dataset; A's delete leaves B's metric and values", async () => {
    const a = await dataset(A(), { name: 'A data' });
    const b = await dataset(B(), { name: 'B data', metrics: [{ name: 'B metric' }] });
    const bMetric = b.metrics[0].id;
    const put = await ctx().call(B(), {
      method: 'PUT',
      url: `/v1/metrics/${bMetric}/data_points`,
      payload: { data_points: [{ date: '2024-01-01', value: '1' }] },
    });
    expect(put.statusCode, put.body).toBe(200);
    const before = await metricRow(bMetric);

    const res = await ctx().call(B(), {
      method: 'PATCH',
      url: `/v1/metrics/${bMetric}`,
      payload: { dataset_id: a.id },
    });
    expect(expectProblem(res, 400).errors).toContainEqual({
      field: 'dataset_id',
      message: 'is not a known field',
    });
    expect(await metricRow(bMetric)).toEqual(before);
    expect(before?.dataset_id).toBe(b.id);

    const pointsBefore = await countRows(ctx().store, 'data_points');
    const del = await ctx().call(A(), { method: 'DELETE', url: `/v1/datasets/${a.id}` });
    expect(del.statusCode, del.body).toBe(204);
    expect(await metricRow(bMetric)).toEqual(before);
    expect(await countRows(ctx().store, 'data_points')).toBe(pointsBefore);
    const got = await ctx().call(B(), { method: 'GET', url: `/v1/metrics/${bMetric}/data_points` });
    expect(got.statusCode, got.body).toBe(200);
    expect((got.json() as { items: unknown[] }).items).toHaveLength(1);
  });

  it('POST bodies are closed too: an unknown field in a nested metric is named, nothing stored', async () => {
    const before = await countRows(ctx().store, 'datasets');
    const res = await ctx().call(A(), {
      method: 'POST',
      url: '/v1/datasets',
      payload: { name: 'D', metrics: [{ name: 'm', created_by: 'ceo' }] },
    });
    expect(expectProblem(res, 400).errors).toContainEqual({
      field: 'metrics[0].created_by',
      message: 'is not a known field',
    });
    expect(await countRows(ctx().store, 'datasets')).toBe(before);
  });

  it('a JSON number where a string is declared is a 400, not text', async () => {
    const ds = await dataset(A());
    const id = ds.metrics[0].id;
    const before = await countRows(ctx().store, 'data_points');
    const res = await ctx().call(A(), {
      method: 'PUT',
      url: `/v1/metrics/${id}/data_points`,
      payload: { data_points: [{ date: '2024-01-01', value: '1', notes: -1e308 }] },
    });
    expect(expectProblem(res, 400).errors).toContainEqual({
      field: 'data_points[0].notes',
      message: expect.stringMatching(/string/),
    });
    const named = await ctx().call(A(), {
      method: 'PATCH',
      url: `/v1/datasets/${ds.id}`,
      payload: { name: 5 },
    });
    expect(expectProblem(named, 400).errors.map((e) => e.field)).toEqual(['name']);
    expect(await countRows(ctx().store, 'data_points')).toBe(before);
    expect((await datasetRow(ds.id)).name).toBe('D');
  });

  it('an unknown query parameter is a 400 naming it; known ones are still read from strings', async () => {
    const ds = await dataset(A());
    const id = ds.metrics[0].id;
    const res = await ctx().call(A(), { method: 'GET', url: `/v1/metrics/${id}/series?interval=quarter` });
    expect(expectProblem(res, 400).errors).toEqual([
      { field: 'interval', message: 'is not a known query parameter' },
    ]);
    const ok = await ctx().call(A(), { method: 'GET', url: `/v1/metrics/${id}/series?granularity=quarter` });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ granularity: 'quarter' });
    const limit = await ctx().call(A(), { method: 'GET', url: '/v1/datasets?limit=1' });
    expect(limit.statusCode, limit.body).toBe(200);
    expect((limit.json() as { items: unknown[] }).items).toHaveLength(1);
  });
});
