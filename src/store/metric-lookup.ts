import type { Store } from './database.ts';

// Metric ids by external id, for file imports. The lookup runs while the import's write
// transaction is open: on SQLite that transaction holds Kysely's only connection, so a
// query through Kysely would wait for it forever; the synchronous driver reads on the
// same connection directly instead. PostgreSQL reads on another pooled connection (metric
// definitions are not part of the import's write).

/** external id → metric id, for the given external ids that exist in the organization. */
export async function metricIdsByExternalId(
  store: Store,
  orgId: string,
  externalIds: string[],
): Promise<Map<string, string>> {
  if (externalIds.length === 0) return new Map();
  return store.engine.queries.metricIdsByExternalId(store.db, orgId, externalIds);
}
