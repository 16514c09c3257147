import { describe, expect, it } from 'vitest';
import { FREQUENCIES, VALUE_TYPES } from '../../src/core/limits.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { countDefinitions, expectProblem, keyIdOf, walkPages } from '../helpers/native.ts';

interface MetricBody {
  id: string;
  dataset_id: string | null;
  name: string;
  description: string | null;
  unit: string | null;
  value_type: string;
  frequency: string | null;
  required: boolean;
  sort_order: number;
  external_id: string | null;
  dimensions: { id: string; name: string }[];
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
}

describe.each(engines())('native metrics [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const create = (body: unknown, headers: Record<string, string> = {}, key = ctx().orgA.write) =>
    ctx().call(key, { method: 'POST', url: '/v1/metrics', payload: body as object, headers });
  const created = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await create(body, headers);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as MetricBody;
  };
  const patch = (id: string, payload: unknown, headers: Record<string, string> = {}) =>
    ctx().call(ctx().orgA.write, {
      method: 'PATCH',
      url: `/v1/metrics/${id}`,
      payload: payload as object,
      headers,
    });
  const get = (id: string, key = ctx().orgA.read) =>
    ctx().call(key, { method: 'GET', url: `/v1/metrics/${id}` });
  const newDataset = async (key = ctx().orgA.write) => {
    const res = await ctx().call(key, { method: 'POST', url: '/v1/datasets', payload: { name: 'holder' } });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };

  it('creates a metric with every field and answers dimensions with their ids', async () => {
    const datasetId = await newDataset();
    const res = await create({
      dataset_id: datasetId,
      name: 'Revenue',
      description: 'Monthly recurring revenue',
      unit: 'EUR',
      value_type: 'currency',
      frequency: 'monthly',
      required: true,
      sort_order: 3,
      external_id: 'rev-1',
      dimensions: [{ name: 'Region' }, { name: 'Product' }],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json() as MetricBody;
    expect(Object.keys(body).sort()).toEqual(
      [
        'created_at',
        'created_by',
        'dataset_id',
        'description',
        'dimensions',
        'external_id',
        'frequency',
        'id',
        'name',
        'required',
        'sort_order',
        'unit',
        'updated_at',
        'updated_by',
        'value_type',
      ].sort(),
    );
    expect(body).toMatchObject({
      dataset_id: datasetId,
      name: 'Revenue',
      description: 'Monthly recurring revenue',
      unit: 'EUR',
      value_type: 'currency',
      frequency: 'monthly',
      required: true,
      sort_order: 3,
      external_id: 'rev-1',
    });
    expect(body.dimensions).toEqual([
      { id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Region' },
      { id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Product' },
    ]);
    expect((await get(body.id)).json()).toEqual(body);
    // It belongs to its dataset: the dataset lists it.
    const ds = await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/datasets/${datasetId}` });
    expect(ds.json().metrics).toEqual([body]);
  });

  it('takes defaults for what is not sent, and a metric needs no dataset', async () => {
    const body = await created({ name: 'Bare' });
    expect(body).toMatchObject({
      dataset_id: null,
      description: null,
      unit: null,
      value_type: 'number',
      frequency: null,
      required: false,
      sort_order: 0,
      external_id: null,
      dimensions: [],
    });
  });

  it('accepts every value_type and frequency of the issue', async () => {
    expect([...VALUE_TYPES].sort()).toEqual(
      ['number', 'percentage', 'currency', 'integer', 'text', 'date', 'boolean'].sort(),
    );
    expect([...FREQUENCIES].sort()).toEqual(['daily', 'weekly', 'monthly', 'quarterly', 'yearly'].sort());
    for (const value_type of VALUE_TYPES) {
      expect((await created({ name: `vt ${value_type}`, value_type })).value_type).toBe(value_type);
    }
    for (const frequency of FREQUENCIES) {
      expect((await created({ name: `f ${frequency}`, frequency })).frequency).toBe(frequency);
    }
  });

  it('records the key as the actor, or x-user-id when sent', async () => {
    const keyId = await keyIdOf(ctx().store, ctx().orgA.write);
    expect(await created({ name: 'by key' })).toMatchObject({ created_by: keyId, updated_by: keyId });
    const m = await created({ name: 'by user' }, { 'x-user-id': 'carol' });
    expect(m).toMatchObject({ created_by: 'carol', updated_by: 'carol' });
    const p = await patch(m.id, { unit: 'kg' }, { 'x-user-id': 'dave' });
    expect(p.json()).toMatchObject({ created_by: 'carol', updated_by: 'dave', unit: 'kg' });
    expect((await patch(m.id, { unit: 'g' })).json()).toMatchObject({
      created_by: 'carol',
      updated_by: keyId,
    });
  });

  it('updates fields, clears them with null, and keeps the ids of named dimensions', async () => {
    const m = await created({
      name: 'Headcount',
      description: 'people',
      unit: 'FTE',
      frequency: 'monthly',
      external_id: 'hc-1',
      dimensions: [{ name: 'Team' }, { name: 'Site' }],
    });
    const [team, site] = m.dimensions;
    const res = await patch(m.id, {
      name: 'Head count',
      description: null,
      unit: null,
      frequency: null,
      external_id: null,
      value_type: 'integer',
      required: true,
      sort_order: 9,
      dimensions: [{ id: site.id, name: 'Location' }, { name: 'Level' }],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as MetricBody;
    expect(body).toMatchObject({
      id: m.id,
      name: 'Head count',
      description: null,
      unit: null,
      frequency: null,
      external_id: null,
      value_type: 'integer',
      required: true,
      sort_order: 9,
      created_at: m.created_at,
    });
    expect(body.dimensions).toEqual([
      { id: site.id, name: 'Location' },
      { id: expect.not.stringMatching(new RegExp(`^(${team.id}|${site.id})$`)), name: 'Level' },
    ]);
    // An empty string is a value, not a null.
    expect((await patch(m.id, { description: '' })).json().description).toBe('');
    expect((await get(m.id)).json()).toMatchObject({ description: '', name: 'Head count' });
  });

  it('lists metrics, filtered by dataset, walking every page with the cursor', async () => {
    const datasetId = await newDataset();
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push((await created({ name: `in ds ${i}`, dataset_id: datasetId })).id);
    await created({ name: 'elsewhere' });
    const walk = async (url: string) =>
      (await walkPages<MetricBody>((o) => ctx().call(ctx().orgA.read, o), url, 2)).items.map((m) => m.id);
    expect(await walk(`/v1/metrics?dataset_id=${datasetId}`)).toEqual(mine);
    const all = await walk('/v1/metrics');
    for (const id of mine) expect(all).toContain(id);
    const total = await ctx()
      .store.db.selectFrom('metrics')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('org_id', '=', ctx().orgA.id)
      .executeTakeFirstOrThrow();
    expect(all).toHaveLength(Number(total.n));
    expectProblem(
      await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/metrics?dataset_id=nope' }),
      400,
    );
    expectProblem(
      await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/metrics?cursor=bm9wZQ' }),
      400,
    );
  });

  it('deletes a metric and its dimensions', async () => {
    const m = await created({ name: 'gone', dimensions: [{ name: 'd' }] });
    const del = await ctx().call(ctx().orgA.write, { method: 'DELETE', url: `/v1/metrics/${m.id}` });
    expect(del.statusCode).toBe(204);
    expectProblem(await get(m.id), 404);
    expectProblem(await ctx().call(ctx().orgA.write, { method: 'DELETE', url: `/v1/metrics/${m.id}` }), 404);
    const dims = await ctx()
      .store.db.selectFrom('dimensions')
      .select('id')
      .where('metric_id', '=', m.id)
      .execute();
    expect(dims).toEqual([]);
  });

  it.each([
    ['no name', {}, 'name', 400],
    ['an empty name', { name: '' }, 'name', 400],
    ['a name over 255', { name: 'n'.repeat(256) }, 'name', 400],
    ['a description over 2000', { name: 'm', description: 'd'.repeat(2001) }, 'description', 400],
    ['a unit over 50', { name: 'm', unit: 'u'.repeat(51) }, 'unit', 400],
    ['a value_type outside the list', { name: 'm', value_type: 'float' }, 'value_type', 400],
    ['a frequency outside the list', { name: 'm', frequency: 'hourly' }, 'frequency', 400],
    ['a negative sort_order', { name: 'm', sort_order: -1 }, 'sort_order', 400],
    ['an empty external_id', { name: 'm', external_id: '' }, 'external_id', 400],
    ['a dataset_id that is not a uuid', { name: 'm', dataset_id: 'ds' }, 'dataset_id', 400],
    ['a dimension without a name', { name: 'm', dimensions: [{}] }, 'dimensions[0].name', 400],
    [
      'a dimension name used twice',
      { name: 'm', dimensions: [{ name: 'a' }, { name: 'a' }] },
      'dimensions[1].name',
      422,
    ],
  ])('rejects %s with problem+json naming the field, and stores nothing', async (_l, body, field, status) => {
    const before = await countDefinitions(ctx().store);
    const problem = expectProblem(await create(body), status);
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect(await countDefinitions(ctx().store)).toEqual(before);
  });

  it('rejects a dataset that does not exist with 404, and stores nothing', async () => {
    const before = await countDefinitions(ctx().store);
    expectProblem(await create({ name: 'm', dataset_id: '01900000-0000-7000-8000-000000000000' }), 404);
    expect(await countDefinitions(ctx().store)).toEqual(before);
  });

  it('rejects bad updates and changes nothing', async () => {
    const m = await created({ name: 'steady', external_id: 'steady-1', dimensions: [{ name: 'd' }] });
    const cases: [unknown, number, string | null][] = [
      [{}, 400, null],
      [{ name: '' }, 400, 'name'],
      [{ value_type: 'float' }, 400, 'value_type'],
      [{ dimensions: [{ name: 'x' }, { name: 'x' }] }, 422, 'dimensions[1].name'],
      [{ dimensions: [{ id: '01900000-0000-7000-8000-000000000000', name: 'x' }] }, 422, 'dimensions[0].id'],
    ];
    for (const [payload, status, field] of cases) {
      const problem = expectProblem(await patch(m.id, payload), status);
      if (field) expect(problem.errors.map((e) => e.field)).toContain(field);
    }
    expect((await get(m.id)).json()).toEqual(m);
  });

  it('keeps external_id unique within an organization (409) but free across organizations', async () => {
    const first = await created({ name: 'first', external_id: 'ext-unique' });
    const before = await countDefinitions(ctx().store);
    const dup = expectProblem(await create({ name: 'second', external_id: 'ext-unique' }), 409);
    expect(dup.detail).toContain('ext-unique');
    expect(await countDefinitions(ctx().store)).toEqual(before);

    const other = await created({ name: 'other' });
    expectProblem(await patch(other.id, { external_id: 'ext-unique' }), 409);
    expect((await get(other.id)).json().external_id).toBeNull();
    // Setting a metric's own external_id again is no conflict.
    expect((await patch(first.id, { external_id: 'ext-unique', unit: 'x' })).statusCode).toBe(200);

    const otherOrg = await create({ name: 'theirs', external_id: 'ext-unique' }, {}, ctx().orgB.admin);
    expect(otherOrg.statusCode).toBe(201);
  });

  it('gives 409, never 500, when concurrent requests race for one external_id', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => create({ name: `racer ${i}`, external_id: 'race-ext' })),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) expectProblem(r, 409);
    const rows = await ctx()
      .store.db.selectFrom('metrics')
      .select('id')
      .where('org_id', '=', ctx().orgA.id)
      .where('external_id', '=', 'race-ext')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it("gives another organization's key 404 on every metric route, and never the data", async () => {
    const datasetId = await newDataset();
    const m = await created({ name: 'secret-metric', dataset_id: datasetId, external_id: 'secret-ext' });
    const other = ctx().orgB.admin;
    const before = await countDefinitions(ctx().store);
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/metrics/${m.id}`],
      ['PATCH', `/v1/metrics/${m.id}`, { name: 'stolen' }],
      ['DELETE', `/v1/metrics/${m.id}`],
      ['POST', '/v1/metrics', { name: 'intruder', dataset_id: datasetId }],
    ];
    for (const [method, url, payload] of routes) {
      const res = await ctx().call(other, { method: method as 'GET', url, payload: payload as object });
      expectProblem(res, 404);
      expect(res.body).not.toContain('secret-');
    }
    expect(await countDefinitions(ctx().store)).toEqual(before);
    const filtered = await ctx().call(other, { method: 'GET', url: `/v1/metrics?dataset_id=${datasetId}` });
    expect(filtered.statusCode).toBe(200);
    expect(filtered.json().items).toEqual([]);
    const { bodies } = await walkPages((o) => ctx().call(other, o), '/v1/metrics', 100);
    for (const body of bodies) {
      expect(body).not.toContain(m.id);
      expect(body).not.toContain('secret-');
    }
    expect((await get(m.id)).json()).toEqual(m);
  });
});
