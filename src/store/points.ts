import type { Kysely } from 'kysely';
import { isUuid } from '../core/ids.ts';
import type { IdentityKey } from '../core/points/point-record.ts';
import type { Store } from './database.ts';
import type { BulkInsert } from './engine/types.ts';
import {
  COLUMN_KINDS,
  POINT_COLUMNS,
  type PointRow,
  REVISION_COLUMNS,
  type RevisionRow,
  UPDATABLE,
} from './point-columns.ts';
import { rollupMarkRows } from './rollups.ts';
import type { DB } from './schema.ts';

/** Existing points of one metric with the given identities (deleted ones included); `lock`: see EngineQueries. */
export function findByIdentity(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  keys: IdentityKey[],
  lock = false,
): Promise<PointRow[]> {
  return store.engine.queries.findPointsByIdentity(db, orgId, metricId, [...keys].sort(byKey), { lock });
}

/**
 * Identity order, as every writer locks: metric, period start, period end, coordinates key,
 * by string comparison (a staging table reads back with the same order: COLLATE "C").
 */
export function compareIdentity(
  a: IdentityKey & { metric_id: string },
  b: IdentityKey & { metric_id: string },
) {
  return compare(a.metric_id, b.metric_id) || byKey(a, b);
}

/** Identity order within one metric. */
function byKey(a: IdentityKey, b: IdentityKey): number {
  return (
    compare(a.period_start, b.period_start) ||
    compare(a.period_end, b.period_end) ||
    compare(a.coord_key, b.coord_key)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Inserts each new row whose identity has no row yet and returns the stored rows of the
 * others, locked until the transaction ends where writers are concurrent (EngineOps.claimRows).
 * In identity order: every writer of points locks in that one order, so two never deadlock
 * over the points of one chunk.
 */
export function claimPoints(store: Store, trx: Kysely<DB>, rows: PointRow[]): Promise<PointRow[]> {
  const sorted = [...rows].sort(compareIdentity);
  return store.engine.claimRows(trx, POINTS, sorted);
}

export function findPointsByIds(db: Kysely<DB>, orgId: string, ids: string[]): Promise<PointRow[]> {
  // A non-uuid cannot name a point (and PostgreSQL would reject it as a uuid value).
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('data_points')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', 'in', valid)
    .execute();
}

/** Points go 50 rows a cached statement on SQLite (one call per row cost more than the row). */
const ROWS_PER_STATEMENT = 50;

const POINTS: BulkInsert<PointRow> = {
  table: 'data_points',
  columns: POINT_COLUMNS,
  // The unique index data_points_identity (migrations/0010-org-keys.ts), org_id and all.
  conflict: { target: ['metric_id', 'period_start', 'period_end', 'coord_key', 'org_id'], update: UPDATABLE },
  rowsPerStatement: ROWS_PER_STATEMENT,
  columnKinds: COLUMN_KINDS,
};
const REVISIONS: BulkInsert<RevisionRow> = {
  table: 'point_revisions',
  columns: REVISION_COLUMNS,
  rowsPerStatement: ROWS_PER_STATEMENT,
  columnKinds: COLUMN_KINDS,
};

/**
 * Writes full point rows (changed) and the revisions of these and of `claimed` (rows
 * claimPoints inserted already), and marks the months of both. Must run inside the caller's
 * write transaction.
 */
export async function upsertPointsWithRevisions(
  store: Store,
  trx: Kysely<DB>,
  rows: PointRow[],
  revisions: RevisionRow[],
  claimed: PointRow[] = [],
): Promise<void> {
  // In the same transaction: a rollup is never read while a write of its month is unseen.
  const marked = claimed.length === 0 ? rows : rows.length === 0 ? claimed : [...claimed, ...rows];
  // One statement on PostgreSQL (issue 14: each was a round trip, with the points locked).
  // The parts write different tables; the revisions' points exist already (claimPoints).
  await store.engine.insertRowsTogether(trx, [
    { spec: POINTS, rows },
    { spec: REVISIONS, rows: revisions },
    rollupMarkRows(marked, revisions[0]?.changed_at ?? new Date().toISOString()),
  ]);
}
