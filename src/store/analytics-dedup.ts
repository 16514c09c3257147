import type { Kysely } from 'kysely';
import type { Store } from './database.ts';
import type { DB } from './schema.ts';

// The message keys already applied. Claiming a key and learning whether it was new is one
// statement on PostgreSQL: the insert returns the keys it added, or refreshed because their
// last use fell out of the window; a key still inside the window is neither changed nor
// returned. SQLite takes two cached statements for a key already there (see below). Inside
// the batch's transaction, so a failed batch claims nothing. On PostgreSQL a concurrent
// batch claiming the same key waits for this one and then sees it taken.

export function claimMessageKeys(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  keys: string[],
  at: string,
  cutoff: string,
): Promise<Set<string>> {
  return store.engine.queries.claimMessageKeys(db, orgId, keys, at, cutoff);
}

/** Forgets keys older than the window. */
export async function pruneMessageKeys(db: Kysely<DB>, orgId: string, cutoff: string): Promise<void> {
  await db
    .deleteFrom('analytics_dedup')
    .where('org_id', '=', orgId)
    .where('processed_at', '<', cutoff)
    .execute();
}
