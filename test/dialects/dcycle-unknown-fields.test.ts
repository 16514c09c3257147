import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// Dcycle is a FastAPI service: Pydantic models ignore fields they do not declare. So do we —
// an unknown field in a PUT/PATCH body is dropped before the core sees it, never written —
// and ids, organization, dataset and audit fields are the server's, whatever the body says.

describe.each(engines())('Dcycle updates ignore unknown fields [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const base = '/v1/custom-kpi-datasets';
  const send = (
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET',
    url: string,
    key: string,
    body?: unknown,
  ) =>
    ctx().app.inject({
      method,
      url,
      headers: {
        'x-api-key': key,
        'x-user-id': 'alice',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
  const create = async (key: string, name: string) => {
    const res = await send('POST', base, key, { name, kpis: [{ name: 'k' }] });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; kpis: { id: string }[] };
  };
  const datasetRow = (id: string) =>
    ctx().store.db.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const metricRow = (id: string) =>
    ctx().store.db.selectFrom('metrics').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  const forged = (orgId: string) => ({
    id: '00000000-0000-4000-8000-000000000000',
    organization_id: orgId,
    org_id: orgId,
    created_by: 'ceo',
    created_at: '1999-01-01T00:00:00Z',
    updated_by: 'ceo',
    updated_at: '1999-01-01T00:00:00Z',
    a: 1,
  });

  it.each(['PUT', 'PATCH'] as const)(
    '%s on a dataset: extra fields ignored, audit fields the server’s',
    async (method) => {
      const ds = await create(ctx().orgA.write, 'D');
      const before = await datasetRow(ds.id);
      const res = await send(method, `${base}/${ds.id}`, ctx().orgA.write, {
        description: 'x',
        ...forged(ctx().orgB.id),
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        id: ds.id,
        organization_id: ctx().orgA.id,
        description: 'x',
        created_by: 'alice',
      });
      const after = await datasetRow(ds.id);
      expect(after).toEqual({ ...before, description: 'x', updated_at: after.updated_at });
      expect(after.updated_at).not.toBe('1999-01-01T00:00:00Z');
    },
  );

  it.each(['PUT', 'PATCH'] as const)(
    "%s on a KPI: dataset_id ignored, so A's delete leaves B's KPI",
    async (method) => {
      const a = await create(ctx().orgA.write, 'A');
      const b = await create(ctx().orgB.admin, 'B');
      const kpi = b.kpis[0].id;
      const before = await metricRow(kpi);
      const res = await send(method, `${base}/${b.id}/kpis/${kpi}`, ctx().orgB.admin, {
        name: 'renamed',
        dataset_id: a.id,
        ...forged(ctx().orgA.id),
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: kpi, dataset_id: b.id, name: 'renamed' });
      const after = await metricRow(kpi);
      expect(after).toEqual({ ...before, name: 'renamed', updated_at: after.updated_at });

      const del = await send('DELETE', `${base}/${a.id}`, ctx().orgA.write);
      expect(del.statusCode, del.body).toBe(204);
      expect(await metricRow(kpi)).toEqual(after);
    },
  );

  it('a number where Dcycle documents a string: 422 in Dcycle shape, nothing changed', async () => {
    const ds = await create(ctx().orgA.write, 'D');
    const before = await datasetRow(ds.id);
    const res = await send('PATCH', `${base}/${ds.id}`, ctx().orgA.write, { description: -1e308 });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toEqual({
      detail: [{ loc: ['body', 'description'], msg: 'must be string', type: 'value_error.type' }],
    });
    expect(await datasetRow(ds.id)).toEqual(before);
  });
});
