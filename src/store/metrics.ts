import type { Kysely } from 'kysely';
import type { MetricFilter, UpdateStamp } from '../core/catalog-types.ts';
import { isUuid } from '../core/ids.ts';
import { everyColumn, pickColumns, pickRows } from './column-pick.ts';
import type { DB } from './schema.ts';

export type MetricRow = DB['metrics'];
export type DimensionRow = DB['dimensions'];

const METRIC_COLUMNS = everyColumn<MetricRow>()([
  'id',
  'org_id',
  'dataset_id',
  'name',
  'description',
  'unit',
  'value_type',
  'frequency',
  'required',
  'sort_order',
  'external_id',
  'created_at',
  'updated_at',
  'created_by',
  'updated_by',
]);
const DIMENSION_COLUMNS = everyColumn<DimensionRow>()(['id', 'org_id', 'metric_id', 'name', 'position']);

/**
 * What an update may change. Not the dataset: a metric never moves between datasets (its
 * values and revisions go with its dataset), nor ids, organization or audit fields.
 */
export const METRIC_UPDATE_COLUMNS = [
  'name',
  'description',
  'unit',
  'value_type',
  'frequency',
  'required',
  'sort_order',
  'external_id',
] as const;
export type MetricChanges = Partial<Pick<MetricRow, (typeof METRIC_UPDATE_COLUMNS)[number]>>;

export async function insertMetrics(db: Kysely<DB>, rows: MetricRow[], dims: DimensionRow[]): Promise<void> {
  if (rows.length) await db.insertInto('metrics').values(pickRows(rows, METRIC_COLUMNS)).execute();
  if (dims.length) await db.insertInto('dimensions').values(pickRows(dims, DIMENSION_COLUMNS)).execute();
}

export function findMetric(db: Kysely<DB>, orgId: string, id: string): Promise<MetricRow | undefined> {
  // Ids from URLs may be anything; PostgreSQL would reject a non-uuid as a uuid column value.
  if (!isUuid(id)) return Promise.resolve(undefined);
  return db
    .selectFrom('metrics')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function findMetricsByExternalIds(
  db: Kysely<DB>,
  orgId: string,
  externalIds: string[],
): Promise<MetricRow[]> {
  if (externalIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('metrics')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('external_id', 'in', externalIds)
    .execute();
}

export function findMetricsByIds(db: Kysely<DB>, orgId: string, ids: string[]): Promise<MetricRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('metrics').selectAll().where('org_id', '=', orgId).where('id', 'in', ids).execute();
}

export function listMetrics(db: Kysely<DB>, orgId: string, f: MetricFilter): Promise<MetricRow[]> {
  if (f.datasetIds?.length === 0) return Promise.resolve([]);
  let q = db.selectFrom('metrics').selectAll().where('org_id', '=', orgId);
  if (f.datasetIds) q = q.where('dataset_id', 'in', f.datasetIds);
  if (f.after) q = q.where('id', '>', f.after);
  q = q.orderBy('id').limit(f.limit);
  if (f.offset) q = q.offset(f.offset);
  return q.execute();
}

export async function countMetrics(db: Kysely<DB>, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('metrics')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function listDimensions(db: Kysely<DB>, orgId: string, metricIds: string[]): Promise<DimensionRow[]> {
  if (metricIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('dimensions')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('metric_id', 'in', metricIds)
    .orderBy('position')
    .execute();
}

export async function updateMetric(
  db: Kysely<DB>,
  orgId: string,
  id: string,
  changes: MetricChanges,
  stamp: UpdateStamp,
): Promise<void> {
  const set = {
    ...pickColumns(changes, METRIC_UPDATE_COLUMNS),
    updated_at: stamp.updated_at,
    updated_by: stamp.updated_by,
  };
  await db.updateTable('metrics').set(set).where('org_id', '=', orgId).where('id', '=', id).execute();
}

export async function replaceDimensions(
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  dims: DimensionRow[],
): Promise<void> {
  await db.deleteFrom('dimensions').where('org_id', '=', orgId).where('metric_id', '=', metricId).execute();
  if (dims.length) await db.insertInto('dimensions').values(pickRows(dims, DIMENSION_COLUMNS)).execute();
}

export async function deleteMetric(db: Kysely<DB>, orgId: string, id: string): Promise<boolean> {
  // Its points go by cascade; its revisions (no foreign key, for write speed) go here.
  await db.deleteFrom('point_revisions').where('org_id', '=', orgId).where('metric_id', '=', id).execute();
  const res = await db
    .deleteFrom('metrics')
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
