import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import type { Store } from '../../src/store/database.ts';
import { type DatasetRow, insertDataset, updateDataset } from '../../src/store/datasets.ts';
import { insertMetrics, type MetricRow, updateMetric } from '../../src/store/metrics.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createTestStore, engines, type TestDatabase } from '../helpers/engines.ts';

// Beneath every route schema: the store writes only the columns its input type names,
// whatever extra keys a caller's object carries at run time (a cast, a spread body).

describe.each(engines())('store writes named columns only [%s]', (engine) => {
  let store: Store;
  let database: TestDatabase;
  let org: string;
  let other: string;
  beforeAll(async () => {
    ({ store, database } = await createTestStore(engine));
    org = (await insertOrganization(store.db, 'A')).id;
    other = (await insertOrganization(store.db, 'B')).id;
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const at = '2024-01-01T00:00:00.000Z';
  const datasetRow = (orgId: string): DatasetRow => ({
    id: newId(),
    org_id: orgId,
    name: 'D',
    description: null,
    created_at: at,
    updated_at: at,
    created_by: 'alice',
    updated_by: 'alice',
  });
  const metricRow = (orgId: string, datasetId: string): MetricRow => ({
    id: newId(),
    org_id: orgId,
    dataset_id: datasetId,
    name: 'M',
    description: null,
    unit: null,
    value_type: 'number',
    frequency: null,
    required: 0,
    sort_order: 0,
    external_id: null,
    created_at: at,
    updated_at: at,
    created_by: 'alice',
    updated_by: 'alice',
  });
  const getDataset = (id: string) =>
    store.db.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const getMetric = (id: string) =>
    store.db.selectFrom('metrics').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('updateDataset ignores keys it does not name: ids, organization, audit fields, unknown columns', async () => {
    const row = datasetRow(org);
    await insertDataset(store.db, row);
    const changes = {
      description: 'new',
      id: newId(),
      org_id: other,
      created_by: 'ceo',
      created_at: '1999-01-01T00:00:00Z',
      no_such_column: 1,
    } as unknown as Parameters<typeof updateDataset>[3];
    await updateDataset(store.db, org, row.id, changes, {
      updated_at: '2024-02-02T00:00:00.000Z',
      updated_by: 'bob',
    });
    expect(await getDataset(row.id)).toEqual({
      ...row,
      description: 'new',
      updated_at: '2024-02-02T00:00:00.000Z',
      updated_by: 'bob',
    });
  });

  it('updateMetric ignores dataset_id, ids, organization, audit fields and unknown columns', async () => {
    const mine = datasetRow(org);
    const theirs = datasetRow(other);
    await insertDataset(store.db, mine);
    await insertDataset(store.db, theirs);
    const metric = metricRow(org, mine.id);
    await insertMetrics(store.db, [metric], []);
    const changes = {
      name: 'renamed',
      dataset_id: theirs.id,
      org_id: other,
      id: newId(),
      created_by: 'ceo',
      created_at: '1999-01-01T00:00:00Z',
      bogus: 'x',
    } as unknown as Parameters<typeof updateMetric>[3];
    await updateMetric(store.db, org, metric.id, changes, {
      updated_at: '2024-03-03T00:00:00.000Z',
      updated_by: 'bob',
    });
    expect(await getMetric(metric.id)).toEqual({
      ...metric,
      name: 'renamed',
      updated_at: '2024-03-03T00:00:00.000Z',
      updated_by: 'bob',
    });
  });

  it('inserts write the row columns only: an extra key is not a column to write', async () => {
    const row = { ...datasetRow(org), no_such_column: 1 } as DatasetRow;
    await insertDataset(store.db, row);
    const { no_such_column: _, ...stored } = row as DatasetRow & { no_such_column: number };
    expect(await getDataset(row.id)).toEqual(stored);
    const metric = { ...metricRow(org, row.id), bogus: 'x' } as MetricRow;
    const dim = { id: newId(), org_id: org, metric_id: metric.id, name: 'Region', position: 0, extra: true };
    await insertMetrics(store.db, [metric], [dim]);
    expect((await getMetric(metric.id)).name).toBe('M');
    const dims = await store.db
      .selectFrom('dimensions')
      .selectAll()
      .where('metric_id', '=', metric.id)
      .execute();
    expect(dims).toEqual([{ id: dim.id, org_id: org, metric_id: metric.id, name: 'Region', position: 0 }]);
  });
});
