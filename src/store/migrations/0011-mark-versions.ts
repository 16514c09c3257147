import type { Kysely, Migration } from 'kysely';
import { type KeyedTable, rebuildWithKeys } from '../engine/sqlite-rebuild.ts';
import type { ColumnTypes } from '../engine/types.ts';
import { alterKeys, toMetric } from './0010-org-keys.ts';

// A rollup mark per (metric, month, version) instead of per (metric, month): each write
// transaction inserts marks of its own, so writers of one month never meet on a shared row.
// With one row per month, every writer upserted it and held its row lock to the end of its
// transaction: a 1-point PUT waited for a whole 1M-row import of the same metric to commit
// (PostgreSQL), even once writers stopped locking whole metrics (issue 14). A refresh
// recomputes a month from every version it read and deletes just those, as before.

const MARK_VERSIONS: KeyedTable[] = [
  {
    table: 'rollup_marks',
    primaryKey: ['metric_id', 'month', 'version', 'org_id'],
    pkName: 'rollup_marks_pk',
    foreignKeys: [toMetric],
  },
];

export function markVersions(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (types.keyChanges === 'rebuild') await rebuildWithKeys(db, MARK_VERSIONS);
      else await alterKeys(db, MARK_VERSIONS);
    },
  };
}
