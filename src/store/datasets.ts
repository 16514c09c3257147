import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';

export type DatasetRow = DB['datasets'];

export async function insertDataset(db: Kysely<DB>, row: DatasetRow): Promise<void> {
  await db.insertInto('datasets').values(row).execute();
}

export function findDataset(db: Kysely<DB>, orgId: string, id: string): Promise<DatasetRow | undefined> {
  return db
    .selectFrom('datasets')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
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
  patch: Partial<Pick<DatasetRow, 'name' | 'description' | 'updated_at' | 'updated_by'>>,
): Promise<void> {
  await db.updateTable('datasets').set(patch).where('org_id', '=', orgId).where('id', '=', id).execute();
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
