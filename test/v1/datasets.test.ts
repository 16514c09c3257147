import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { countDefinitions, expectProblem, keyIdOf, walkPages } from '../helpers/native.ts';

interface DatasetBody {
  id: string;
  name: string;
  description: string | null;
  metrics: {
    id: string;
    name: string;
    external_id: string | null;
    dimensions: { id: string; name: string }[];
  }[];
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
}

describe.each(engines())('native datasets [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const create = (body: unknown, headers: Record<string, string> = {}, key = ctx().orgA.write) =>
    ctx().call(key, { method: 'POST', url: '/v1/datasets', payload: body as object, headers });
  const created = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await create(body, headers);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as DatasetBody;
  };

  it('creates a dataset with its metrics and dimensions, and gets it back', async () => {
    const res = await create({
      name: 'Emissions',
      description: 'Scope 1 to 3',
      metrics: [
        { name: 'Scope 1', unit: 'tCO2e', value_type: 'number', frequency: 'monthly', external_id: 'ds-s1' },
        {
          name: 'Share',
          value_type: 'percentage',
          required: true,
          dimensions: [{ name: 'Region' }, { name: 'Site' }],
        },
      ],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json() as DatasetBody;
    expect(Object.keys(body).sort()).toEqual(
      ['created_at', 'created_by', 'description', 'id', 'metrics', 'name', 'updated_at', 'updated_by'].sort(),
    );
    expect(body).toMatchObject({ name: 'Emissions', description: 'Scope 1 to 3' });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.metrics).toHaveLength(2);
    expect(body.metrics[0]).toMatchObject({
      name: 'Scope 1',
      dataset_id: body.id,
      unit: 'tCO2e',
      value_type: 'number',
      frequency: 'monthly',
      required: false,
      sort_order: 0,
      external_id: 'ds-s1',
      dimensions: [],
    });
    expect(body.metrics[1]).toMatchObject({ name: 'Share', required: true, sort_order: 1, frequency: null });
    expect(body.metrics[1].dimensions).toEqual([
      { id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Region' },
      { id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Site' },
    ]);
    expect(Date.parse(body.created_at)).not.toBeNaN();
    expect(body.updated_at).toBe(body.created_at);

    const got = await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/datasets/${body.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(body);
  });

  it('records the key as the actor, or x-user-id when sent', async () => {
    const keyId = await keyIdOf(ctx().store, ctx().orgA.write);
    const byKey = await created({ name: 'by key' });
    expect(byKey).toMatchObject({ created_by: keyId, updated_by: keyId });

    const byUser = await created({ name: 'by user', metrics: [{ name: 'm' }] }, { 'x-user-id': 'alice' });
    expect(byUser).toMatchObject({ created_by: 'alice', updated_by: 'alice' });
    expect(byUser.metrics[0]).toMatchObject({ created_by: 'alice', updated_by: 'alice' });

    const patched = await ctx().call(ctx().orgA.write, {
      method: 'PATCH',
      url: `/v1/datasets/${byUser.id}`,
      headers: { 'x-user-id': 'bob' },
      payload: { name: 'renamed' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'renamed', created_by: 'alice', updated_by: 'bob' });
    const byKeyPatch = await ctx().call(ctx().orgA.write, {
      method: 'PATCH',
      url: `/v1/datasets/${byUser.id}`,
      payload: { description: null },
    });
    expect(byKeyPatch.json()).toMatchObject({ created_by: 'alice', updated_by: keyId, description: null });
  });

  it('updates name and description, and keeps what was not sent', async () => {
    const ds = await created({ name: 'before', description: 'kept', metrics: [{ name: 'm1' }] });
    const res = await ctx().call(ctx().orgA.write, {
      method: 'PATCH',
      url: `/v1/datasets/${ds.id}`,
      payload: { name: 'after' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as DatasetBody;
    expect(body).toMatchObject({ id: ds.id, name: 'after', description: 'kept', created_at: ds.created_at });
    expect(body.metrics.map((m) => m.id)).toEqual(ds.metrics.map((m) => m.id));
    expect(body.updated_at >= ds.updated_at).toBe(true);
  });

  it('walks every page of the list with the cursor, each dataset once', async () => {
    const mine = [];
    for (let i = 0; i < 7; i++) mine.push((await created({ name: `page ${i}` })).id);
    const { items, pages } = await walkPages<DatasetBody>(
      (o) => ctx().call(ctx().orgA.read, o),
      '/v1/datasets',
      3,
    );
    const seen = items.map((d) => d.id);
    for (const id of mine) expect(seen).toContain(id);
    const total = await ctx()
      .store.db.selectFrom('datasets')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('org_id', '=', ctx().orgA.id)
      .executeTakeFirstOrThrow();
    expect(seen).toHaveLength(Number(total.n));
    // The last page says it is the last: no empty page at the end.
    expect(pages).toBe(Math.ceil(seen.length / 3));
  });

  it('takes pages of up to 1,000', async () => {
    for (let i = 0; i < 3; i++) await created({ name: `big-page-${i}` });
    const res = await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/datasets?limit=1000' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: DatasetBody[]; next_cursor: string | null };
    expect(body.items.map((d) => d.name)).toEqual(
      expect.arrayContaining(['big-page-0', 'big-page-1', 'big-page-2']),
    );
    expect(body.next_cursor).toBeNull();
  });

  it('rejects a bad cursor or page size with 400, not a server error', async () => {
    for (const url of [
      '/v1/datasets?cursor=garbage',
      '/v1/datasets?cursor=%%%',
      '/v1/datasets?limit=0',
      '/v1/datasets?limit=1001',
    ]) {
      const body = expectProblem(await ctx().call(ctx().orgA.read, { method: 'GET', url }), 400);
      expect(body.errors.length, url).toBeGreaterThan(0);
    }
  });

  it('deletes a dataset with its metrics and dimensions', async () => {
    const ds = await created({ name: 'doomed', metrics: [{ name: 'm', dimensions: [{ name: 'd' }] }] });
    const del = await ctx().call(ctx().orgA.write, { method: 'DELETE', url: `/v1/datasets/${ds.id}` });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expectProblem(await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/datasets/${ds.id}` }), 404);
    expectProblem(
      await ctx().call(ctx().orgA.write, { method: 'DELETE', url: `/v1/datasets/${ds.id}` }),
      404,
    );
    const metrics = await ctx()
      .store.db.selectFrom('metrics')
      .select('id')
      .where('dataset_id', '=', ds.id)
      .execute();
    expect(metrics).toEqual([]);
    const dims = await ctx()
      .store.db.selectFrom('dimensions')
      .select('id')
      .where('metric_id', '=', ds.metrics[0].id)
      .execute();
    expect(dims).toEqual([]);
  });

  it.each([
    ['no name', {}, 'name', 400],
    ['an empty name', { name: '' }, 'name', 400],
    ['a name over 255', { name: 'x'.repeat(256) }, 'name', 400],
    ['a description over 2000', { name: 'ok', description: 'd'.repeat(2001) }, 'description', 400],
    [
      'more than 100 metrics',
      { name: 'ok', metrics: Array.from({ length: 101 }, (_, i) => ({ name: `m${i}` })) },
      'metrics',
      400,
    ],
    ['a metric without a name', { name: 'ok', metrics: [{ unit: 'x' }] }, 'metrics[0].name', 400],
    [
      'a bad value_type',
      { name: 'ok', metrics: [{ name: 'm', value_type: 'float' }] },
      'metrics[0].value_type',
      400,
    ],
    [
      'a bad frequency',
      { name: 'ok', metrics: [{ name: 'm', frequency: 'hourly' }] },
      'metrics[0].frequency',
      400,
    ],
    [
      'a unit over 50',
      { name: 'ok', metrics: [{ name: 'm', unit: 'u'.repeat(51) }] },
      'metrics[0].unit',
      400,
    ],
    [
      'an external_id used twice',
      {
        name: 'ok',
        metrics: [
          { name: 'a', external_id: 'twice' },
          { name: 'b', external_id: 'twice' },
        ],
      },
      'metrics[1].external_id',
      422,
    ],
    [
      'a dimension name used twice',
      { name: 'ok', metrics: [{ name: 'a', dimensions: [{ name: 'r' }, { name: 'r' }] }] },
      'metrics[0].dimensions[1].name',
      422,
    ],
    ['a JSON array body', [{ name: 'x' }], 'body', 400],
  ])('rejects %s with problem+json naming the field, and stores nothing', async (_l, body, field, status) => {
    const before = await countDefinitions(ctx().store);
    const problem = expectProblem(await create(body), status);
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect(await countDefinitions(ctx().store)).toEqual(before);
  });

  it('rejects malformed JSON with 400 and stores nothing', async () => {
    const before = await countDefinitions(ctx().store);
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expectProblem(res, 400);
    expect(await countDefinitions(ctx().store)).toEqual(before);
  });

  it('keeps external_id unique within an organization (409) but free across organizations', async () => {
    await created({ name: 'first', metrics: [{ name: 'm', external_id: 'shared-ext' }] });
    const before = await countDefinitions(ctx().store);
    const dup = await create({ name: 'second', metrics: [{ name: 'm', external_id: 'shared-ext' }] });
    const problem = expectProblem(dup, 409);
    expect(problem.detail).toContain('shared-ext');
    expect(await countDefinitions(ctx().store)).toEqual(before);

    const other = await create(
      { name: 'other org', metrics: [{ name: 'm', external_id: 'shared-ext' }] },
      {},
      ctx().orgB.admin,
    );
    expect(other.statusCode).toBe(201);
  });

  it('rejects bad updates and changes nothing', async () => {
    const ds = await created({ name: 'stable', description: 'same' });
    const patch = (payload: unknown) =>
      ctx().call(ctx().orgA.write, {
        method: 'PATCH',
        url: `/v1/datasets/${ds.id}`,
        payload: payload as object,
      });
    expect(expectProblem(await patch({}), 400).errors.length).toBeGreaterThan(0);
    expect(expectProblem(await patch({ name: '' }), 400).errors.map((e) => e.field)).toContain('name');
    expect(
      expectProblem(await patch({ description: 'x'.repeat(2001) }), 400).errors.map((e) => e.field),
    ).toContain('description');
    expectProblem(
      await ctx().call(ctx().orgA.write, {
        method: 'PATCH',
        url: '/v1/datasets/not-a-uuid',
        payload: { name: 'x' },
      }),
      400,
    );
    const after = await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/datasets/${ds.id}` });
    expect(after.json()).toEqual(ds);
  });

  it("gives another organization's key 404 on every dataset route, and never the data", async () => {
    const ds = await created({ name: 'secret-dataset-name', metrics: [{ name: 'secret-metric-name' }] });
    const other = ctx().orgB.admin;
    const routes: [string, unknown?][] = [['GET'], ['PATCH', { name: 'stolen' }], ['DELETE']];
    for (const [method, payload] of routes) {
      const res = await ctx().call(other, {
        method: method as 'GET',
        url: `/v1/datasets/${ds.id}`,
        payload: payload as object,
      });
      expectProblem(res, 404);
      expect(res.body).not.toContain('secret-');
    }
    const { bodies } = await walkPages((o) => ctx().call(other, o), '/v1/datasets', 100);
    for (const body of bodies) {
      expect(body).not.toContain(ds.id);
      expect(body).not.toContain('secret-');
    }
    const still = await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/datasets/${ds.id}` });
    expect(still.json()).toEqual(ds);
  });
});
