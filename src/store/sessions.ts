import type { Kysely } from 'kysely';
import type { SessionRecord, SessionWithKey } from '../core/access-types.ts';
import type { DB } from './schema.ts';

export async function insertSession(db: Kysely<DB>, row: SessionRecord): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/**
 * By the token's hash (the primary key begins with it), joined with its key: a revoked key
 * ends it. The organization is not known yet (the token is all a request brings), so this is
 * one of the few reads across organizations; the join is on org_id too, as the keys are.
 */
export function findSession(db: Kysely<DB>, tokenHash: string): Promise<SessionWithKey | undefined> {
  return db
    .selectFrom('sessions as s')
    .innerJoin('api_keys as k', (join) =>
      join.onRef('k.id', '=', 's.key_id').onRef('k.org_id', '=', 's.org_id'),
    )
    .selectAll('s')
    .select(['k.name as key_name', 'k.revoked_at as key_revoked_at'])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function touchSession(
  db: Kysely<DB>,
  orgId: string,
  tokenHash: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: at })
    .where('token_hash', '=', tokenHash)
    .where('org_id', '=', orgId)
    .execute();
}

export async function deleteSession(db: Kysely<DB>, tokenHash: string): Promise<boolean> {
  const res = await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** Ends every session signed in with the key (it is being revoked). */
export async function deleteSessionsOfKey(db: Kysely<DB>, orgId: string, keyId: string): Promise<number> {
  const res = await db
    .deleteFrom('sessions')
    .where('org_id', '=', orgId)
    .where('key_id', '=', keyId)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function deleteEndedSessions(db: Kysely<DB>, now: string, idleBefore: string): Promise<number> {
  const res = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleBefore)]))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
