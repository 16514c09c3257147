import type { Store } from './database.ts';
import { prepared } from './sqlite-statements.ts';

// Metric ids by external id, for file imports. The lookup runs while the import's write
// transaction is open: on SQLite that transaction holds Kysely's only connection, so a
// query through Kysely would wait for it forever; the synchronous driver reads on the
// same connection directly instead. PostgreSQL reads on another pooled connection (metric
// definitions are not part of the import's write).

function sqliteLookup(store: Store) {
  const stmt = prepared(store, 'select id from metrics where org_id = ? and external_id = ?');
  return (orgId: string, externalId: string) =>
    (stmt.get(orgId, externalId) as { id: string } | undefined)?.id;
}

/** external id → metric id, for the given external ids that exist in the organization. */
export async function metricIdsByExternalId(
  store: Store,
  orgId: string,
  externalIds: string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (externalIds.length === 0) return found;
  if (store.caps.syncDriver && store.sqlite) {
    // One indexed point lookup each (metrics_external_id): microseconds, no SQL to build.
    const lookup = sqliteLookup(store);
    for (const externalId of externalIds) {
      const id = lookup(orgId, externalId);
      if (id !== undefined) found.set(externalId, id);
    }
    return found;
  }
  const size = Math.max(1, store.caps.maxParams - 1);
  for (let i = 0; i < externalIds.length; i += size) {
    const rows = await store.db
      .selectFrom('metrics')
      .select(['id', 'external_id'])
      .where('org_id', '=', orgId)
      .where('external_id', 'in', externalIds.slice(i, i + size))
      .execute();
    for (const r of rows) if (r.external_id !== null) found.set(r.external_id, r.id);
  }
  return found;
}
