import type { Kysely } from 'kysely';
import type { UpdateStamp } from '../core/catalog-types.ts';
import { everyColumn, pickColumns, pickRows } from './column-pick.ts';
import type { DB } from './schema.ts';

export type DatasetRow = DB['datasets'];

const DATASET_COLUMNS = everyColumn<DatasetRow>()([
  'id',
  'org_id',
  'name',
  'description',
  'created_at',
  'updated_at',
  'created_by',
  'updated_by',
]);

/** What an update may change; ids, organization and audit fields are the server's. */
export const DATASET_UPDATE_COLUMNS = ['name', 'description'] as const;
export type DatasetChanges = Partial<Pick<DatasetRow, (typeof DATASET_UPDATE_COLUMNS)[number]>>;

export async function insertDataset(db: Kysely<DB>, row: DatasetRow): Promise<void> {
  await db
    .insertInto('datasets')
    .values(pickRows([row], DATASET_COLUMNS))
    .execute();
}

export function findDataset(db: Kysely<DB>, orgId: string, id: string): Promise<DatasetRow | undefined> {
  return db
    .selectFrom('datasets')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function datasetExists(db: Kysely<DB>, orgId: string, id: string): Promise<boolean> {
  const found = await db
    .selectFrom('datasets')
    .select('id')
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
  return found !== undefined;
}

export function listDatasetsAfter(db: Kysely<DB>, orgId: string, after: string | undefined, limit: number) {
  let q = db.selectFrom('datasets').selectAll().where('org_id', '=', orgId);
  if (after) q = q.where('id', '>', after);
  return q.orderBy('id').limit(limit).execute();
}

export function listDatasetsOffset(db: Kysely<DB>, orgId: string, offset: number, limit: number) {
  return db
    .selectFrom('datasets')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('id')
    .offset(offset)
    .limit(limit)
    .execute();
}

export async function countDatasets(db: Kysely<DB>, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('datasets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateDataset(
  db: Kysely<DB>,
  orgId: string,
  id: string,
  changes: DatasetChanges,
  stamp: UpdateStamp,
): Promise<void> {
  const set = {
    ...pickColumns(changes, DATASET_UPDATE_COLUMNS),
    updated_at: stamp.updated_at,
    updated_by: stamp.updated_by,
  };
  await db.updateTable('datasets').set(set).where('org_id', '=', orgId).where('id', '=', id).execute();
}

export async function deleteDataset(db: Kysely<DB>, orgId: string, id: string): Promise<boolean> {
  // Metrics and points go by cascade; the revisions of those metrics go here.
  await db
    .deleteFrom('point_revisions')
    .where('org_id', '=', orgId)
    .where('metric_id', 'in', (eb) =>
      eb
        .selectFrom('metrics')
        .select('metrics.id')
        .where('metrics.org_id', '=', orgId)
        .where('metrics.dataset_id', '=', id),
    )
    .execute();
  const res = await db
    .deleteFrom('datasets')
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
