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

/** An organization's keys after the id `after`, in id order; the revoked ones only when asked. */
export function listApiKeysAfter(
  db: Kysely<DB>,
  orgId: string,
  opts: { after?: string; limit: number; includeRevoked: boolean },
): Promise<ApiKeyRow[]> {
  let q = db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId);
  if (opts.after !== undefined) q = q.where('id', '>', opts.after);
  if (!opts.includeRevoked) q = q.where('revoked_at', 'is', null);
  return q.orderBy('id').limit(opts.limit).execute();
}

export function findApiKey(db: Kysely<DB>, orgId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Revokes an active key (of `orgId`, when given); false when there is no such active key. */
export async function revokeApiKey(db: Kysely<DB>, id: string, at: string, orgId?: string): Promise<boolean> {
  let q = db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null);
  if (orgId !== undefined) q = q.where('org_id', '=', orgId);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function touchApiKey(db: Kysely<DB>, orgId: string, id: string, at: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: at })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .execute();
}

export async function countApiKeys(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
