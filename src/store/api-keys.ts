import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';

export type ApiKeyRow = DB['api_keys'];

export async function insertApiKey(db: Kysely<DB>, row: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export function findKeysByLookup(db: Kysely<DB>, lookup: string): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('lookup', '=', lookup)
    .where('revoked_at', 'is', null)
    .execute();
}

export function listApiKeys(db: Kysely<DB>, orgId?: string): Promise<ApiKeyRow[]> {
  let q = db.selectFrom('api_keys').selectAll().orderBy('id');
  if (orgId) q = q.where('org_id', '=', orgId);
  return q.execute();
}

export async function revokeApiKey(db: Kysely<DB>, id: string, at: string): Promise<boolean> {
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function touchApiKey(db: Kysely<DB>, id: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function countApiKeys(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
