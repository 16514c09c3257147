import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';

export type IdempotencyRow = DB['idempotency_keys'];

export function findIdempotencyKey(
  db: Kysely<DB>,
  orgId: string,
  key: string,
): Promise<IdempotencyRow | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('key', '=', key)
    .executeTakeFirst();
}

/**
 * Claims a key; false when another request holds it (the primary key decides races). A
 * key past its window is free again, and so is one stuck `processing` since before
 * `staleBefore` (its request died with its process).
 */
export async function claimIdempotencyKey(
  db: Kysely<DB>,
  row: IdempotencyRow,
  expiredBefore: string,
  staleBefore: string,
): Promise<boolean> {
  await db
    .deleteFrom('idempotency_keys')
    .where('org_id', '=', row.org_id)
    .where('key', '=', row.key)
    .where((eb) =>
      eb.or([
        eb('expires_at', '<', expiredBefore),
        eb.and([eb('state', '=', 'processing'), eb('created_at', '<', staleBefore)]),
      ]),
    )
    .execute();
  const res = await db
    .insertInto('idempotency_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['org_id', 'key']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function completeIdempotencyKey(
  db: Kysely<DB>,
  orgId: string,
  key: string,
  response: { status_code: number; response_body: string; response_type: string | null },
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ ...response, state: 'done' })
    .where('org_id', '=', orgId)
    .where('key', '=', key)
    .execute();
}

export async function releaseIdempotencyKey(db: Kysely<DB>, orgId: string, key: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('org_id', '=', orgId).where('key', '=', key).execute();
}
