import { sql } from 'kysely';
import type { Store } from '../../src/store/database.ts';
import type { DB } from '../../src/store/schema.ts';

// A cheap fingerprint of the stored data: each table's row count and, where it has one, its
// latest updated_at. A rejected request must leave it as it was. Left out on purpose:
// api_keys (last use is recorded on every request) and idempotency_keys (an answer, a
// rejection included, is recorded for replay by design).
const COUNTED: readonly (keyof DB)[] = [
  'organizations',
  'dimensions',
  'point_revisions',
  'job_payload_chunks',
  'analytics_links',
  'analytics_trait_history',
  'analytics_events',
  'analytics_dedup',
  'analytics_event_counts',
];
const UPDATED: readonly (keyof DB)[] = [
  'datasets',
  'metrics',
  'data_points',
  'jobs',
  'webhooks',
  'analytics_entities',
];

/** One query, one round trip: it runs twice around every rejected write the fuzzer sends. */
export async function fingerprint(store: Store): Promise<Record<string, unknown>> {
  const parts = [
    ...COUNTED.map((t) => sql`(select count(*) from ${sql.table(t)}) as ${sql.ref(t)}`),
    ...UPDATED.map(
      (t) =>
        sql`(select count(*) || ' ' || coalesce(max(updated_at) || '', '') from ${sql.table(t)}) as ${sql.ref(t)}`,
    ),
  ];
  const { rows } = await sql<Record<string, unknown>>`select ${sql.join(parts)}`.execute(store.db);
  return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, String(v)]));
}
