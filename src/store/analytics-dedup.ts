import type { Kysely } from 'kysely';
import type { Store } from './database.ts';
import { rowChunks } from './row-chunks.ts';
import type { DB } from './schema.ts';
import { prepared } from './sqlite-statements.ts';

// The message keys already applied. Claiming a key and learning whether it was new is one
// statement: the insert returns the keys it added, or refreshed because their last use fell
// out of the window; a key still inside the window is neither changed nor returned. Inside
// the batch's transaction, so a failed batch claims nothing. On PostgreSQL a concurrent
// batch claiming the same key waits for this one and then sees it taken.

export async function claimMessageKeys(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  keys: string[],
  at: string,
  cutoff: string,
): Promise<Set<string>> {
  const fresh = new Set<string>();
  if (store.caps.syncDriver) {
    const claim = prepared(
      store,
      `insert into analytics_dedup (org_id, key, processed_at) values (?, ?, ?)
       on conflict (org_id, key) do update set processed_at = excluded.processed_at
       where analytics_dedup.processed_at < ? returning key`,
    );
    for (const key of keys) if (claim.get(orgId, key, at, cutoff)) fresh.add(key);
    return fresh;
  }
  // Sorted, so concurrent batches take the key locks in the same order.
  const sorted = [...keys].sort();
  for (const part of rowChunks(sorted, 3, store.caps.maxParams)) {
    const rows = await db
      .insertInto('analytics_dedup')
      .values(part.map((key) => ({ org_id: orgId, key, processed_at: at })))
      .onConflict((oc) =>
        oc
          .columns(['org_id', 'key'])
          .doUpdateSet((eb) => ({ processed_at: eb.ref('excluded.processed_at') }))
          .where('analytics_dedup.processed_at', '<', cutoff),
      )
      .returning('key')
      .execute();
    for (const r of rows) fresh.add(r.key);
  }
  return fresh;
}

/** Forgets keys older than the window. */
export async function pruneMessageKeys(db: Kysely<DB>, orgId: string, cutoff: string): Promise<void> {
  await db
    .deleteFrom('analytics_dedup')
    .where('org_id', '=', orgId)
    .where('processed_at', '<', cutoff)
    .execute();
}
