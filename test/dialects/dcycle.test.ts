import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { countRows } from '../helpers/rows.ts';

// The seed's JavaScript fetch sample, with the host replaced.
const seedBody = {
  name: '<string>',
  description: '<string>',
  kpis: [
    {
      name: '<string>',
      description: '<string>',
      unit: '<string>',
      value_type: 'number',
      required: true,
      sort_order: 0,
    },
  ],
};

describe.each(engines())('Dcycle dialect [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    ctx().app.inject({
      method: 'POST',
      url: '/v1/custom-kpi-datasets',
      headers: { 'x-api-key': ctx().orgA.write, 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(body),
    });
  const countDatasets = () => countRows(ctx().store, 'datasets');

  it('answers the seed sample with every documented field', async () => {
    const res = await post(seedBody, { 'x-user-id': '3c90c3cc-0d44-4b50-8888-8dd25736052a' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(
      [
        'created_at',
        'created_by',
        'description',
        'id',
        'kpis',
        'name',
        'organization_id',
        'updated_at',
        'updated_by',
      ].sort(),
    );
    expect(body.organization_id).toBe(ctx().orgA.id);
    expect(body.created_by).toBe('3c90c3cc-0d44-4b50-8888-8dd25736052a');
    expect(body.kpis).toHaveLength(1);
    expect(Object.keys(body.kpis[0]).sort()).toEqual(
      [
        'created_at',
        'dataset_id',
        'description',
        'id',
        'name',
        'required',
        'sort_order',
        'unit',
        'updated_at',
        'value_type',
      ].sort(),
    );
    expect(body.kpis[0]).toMatchObject({
      dataset_id: body.id,
      value_type: 'number',
      required: true,
      sort_order: 0,
      unit: '<string>',
    });
  });

  it.each([
    ['an empty name', { name: '' }, 'name'],
    ['a name over 255', { name: 'x'.repeat(256) }, 'name'],
    ['a description over 2000', { name: 'ok', description: 'x'.repeat(2001) }, 'description'],
    [
      'more than 100 KPIs',
      { name: 'ok', kpis: Array.from({ length: 101 }, (_, i) => ({ name: `k${i}` })) },
      'kpis',
    ],
    ['a unit over 50', { name: 'ok', kpis: [{ name: 'k', unit: 'u'.repeat(51) }] }, 'unit'],
    [
      'a value_type outside the list',
      { name: 'ok', kpis: [{ name: 'k', value_type: 'currency' }] },
      'value_type',
    ],
  ])('rejects %s with 422 in Dcycle shape and stores nothing', async (_label, body, field) => {
    const before = await countDatasets();
    const res = await post(body);
    expect(res.statusCode).toBe(422);
    const detail = res.json().detail;
    expect(Array.isArray(detail)).toBe(true);
    expect(detail[0]).toEqual({
      loc: expect.arrayContaining(['body']),
      msg: expect.any(String),
      type: expect.any(String),
    });
    expect(detail.some((d: { loc: unknown[] }) => d.loc.includes(field))).toBe(true);
    expect(await countDatasets()).toBe(before);
  });

  it('accepts exactly 100 KPIs and the limits themselves', async () => {
    const res = await post({
      name: 'n'.repeat(255),
      description: 'd'.repeat(2000),
      kpis: Array.from({ length: 100 }, (_, i) => ({
        name: `k${i}`,
        unit: 'u'.repeat(50),
        value_type: 'percentage',
      })),
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().kpis).toHaveLength(100);
  });

  it('401 without a key and 403 for another organization id, in Dcycle shape', async () => {
    const before = await countDatasets();
    const none = await ctx().app.inject({
      method: 'POST',
      url: '/v1/custom-kpi-datasets',
      payload: seedBody,
    });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ detail: expect.any(String), code: 'UNAUTHORIZED' });
    const wrongOrg = await post(seedBody, { 'x-organization-id': ctx().orgB.id });
    expect(wrongOrg.statusCode).toBe(403);
    expect(wrongOrg.json().code).toBe('FORBIDDEN');
    const readOnly = await post(seedBody, { 'x-api-key': ctx().orgA.read });
    expect(readOnly.statusCode).toBe(403);
    expect(await countDatasets()).toBe(before);
  });

  it('lists, gets, updates and deletes datasets and KPIs; each is visible natively', async () => {
    const created = (await post(seedBody)).json();
    const key = { 'x-api-key': ctx().orgA.admin };
    const list = await ctx().app.inject({
      method: 'GET',
      url: '/v1/custom-kpi-datasets?page=1&size=2',
      headers: key,
    });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ page: 1, size: 2, total: expect.any(Number) });
    expect(list.json().items.length).toBeLessThanOrEqual(2);

    const added = await ctx().app.inject({
      method: 'POST',
      url: `/v1/custom-kpi-datasets/${created.id}/kpis`,
      headers: key,
      payload: { name: 'Scope 2', unit: 'tCO2e', value_type: 'number' },
    });
    expect(added.statusCode).toBe(201);
    const kpi = added.json();
    const updated = await ctx().app.inject({
      method: 'PATCH',
      url: `/v1/custom-kpi-datasets/${created.id}/kpis/${kpi.id}`,
      headers: key,
      payload: { unit: 'kg' },
    });
    expect(updated.json()).toMatchObject({ id: kpi.id, unit: 'kg', name: 'Scope 2' });

    const native = await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/metrics/${kpi.id}` });
    expect(native.json()).toMatchObject({ id: kpi.id, dataset_id: created.id, unit: 'kg' });

    const renamed = await ctx().app.inject({
      method: 'PUT',
      url: `/v1/custom-kpi-datasets/${created.id}`,
      headers: { ...key, 'x-user-id': 'user-7' },
      payload: { name: 'Renamed' },
    });
    expect(renamed.json()).toMatchObject({ name: 'Renamed', updated_by: 'user-7' });

    const delKpi = await ctx().app.inject({
      method: 'DELETE',
      url: `/v1/custom-kpi-datasets/${created.id}/kpis/${kpi.id}`,
      headers: key,
    });
    expect(delKpi.statusCode).toBe(204);
    const del = await ctx().app.inject({
      method: 'DELETE',
      url: `/v1/custom-kpi-datasets/${created.id}`,
      headers: key,
    });
    expect(del.statusCode).toBe(204);
    const gone = await ctx().app.inject({
      method: 'GET',
      url: `/v1/custom-kpi-datasets/${created.id}`,
      headers: key,
    });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ detail: 'dataset not found', code: 'NOT_FOUND' });
  });

  it("gives another organization's key 404 on every dataset and KPI route, never the data", async () => {
    const created = (await post(seedBody)).json();
    const kpiId = created.kpis[0].id;
    const other = { 'x-api-key': ctx().orgB.admin };
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/custom-kpi-datasets/${created.id}`],
      ['PUT', `/v1/custom-kpi-datasets/${created.id}`, { name: 'stolen' }],
      ['PATCH', `/v1/custom-kpi-datasets/${created.id}`, { name: 'stolen' }],
      ['DELETE', `/v1/custom-kpi-datasets/${created.id}`],
      ['POST', `/v1/custom-kpi-datasets/${created.id}/kpis`, { name: 'x' }],
      ['PATCH', `/v1/custom-kpi-datasets/${created.id}/kpis/${kpiId}`, { name: 'stolen' }],
      ['DELETE', `/v1/custom-kpi-datasets/${created.id}/kpis/${kpiId}`],
    ];
    for (const [method, url, payload] of routes) {
      const res = await ctx().app.inject({
        method: method as 'GET',
        url,
        headers: other,
        payload: payload as object,
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.body).not.toContain(created.name);
    }
    const list = await ctx().app.inject({ method: 'GET', url: '/v1/custom-kpi-datasets', headers: other });
    expect(list.json().items.map((d: { id: string }) => d.id)).not.toContain(created.id);
    const still = await ctx().app.inject({
      method: 'GET',
      url: `/v1/custom-kpi-datasets/${created.id}`,
      headers: { 'x-api-key': ctx().orgA.read },
    });
    expect(still.json()).toMatchObject({ name: '<string>', kpis: [{ name: '<string>' }] });
  });
});
