import { type Kysely, type Migration, sql } from 'kysely';
import { type KeyedTable, rebuildWithKeys } from '../engine/sqlite-rebuild.ts';
import type { ColumnTypes } from '../engine/types.ts';

// Length: ORG_KEYS is one table of the keys every org-scoped table ends with, read top to bottom.

// Ready to distribute by organization (issue 14): every primary key and unique index of an
// org-scoped table includes org_id, and every foreign key between org-scoped tables joins on
// it — what Citus needs to shard all tables by org_id and keep them co-located (a key or a
// foreign key without the distribution column cannot be enforced within one shard).
//
// org_id is appended to each key, not put first: every lookup a key served before (by id, by
// token hash, by metric and period) is served the same way, and a query that does not know
// its organization yet (authentication, the job claim, the sweeps) still finds its rows by
// index. The keys stay as unique as they were: each old key was unique on its own.
//
// Not org-scoped, and unchanged: `organizations` (the tenant itself; its id is the org id,
// so its key is the distribution column already) and Kysely's bookkeeping tables.
// test/store/distribution.test.ts reads the catalog of both engines and holds to this.

/** Foreign keys to `metrics`: (org_id, metric_id) → metrics (org_id, id), deleted with it. */
export const toMetric = {
  columns: ['org_id', 'metric_id'],
  parent: 'metrics',
  parentColumns: ['org_id', 'id'],
};

/** Parents before children: a foreign key needs its parent's key to exist. */
const ORG_KEYS: KeyedTable[] = [
  { table: 'api_keys', primaryKey: ['id', 'org_id'] },
  { table: 'datasets', primaryKey: ['id', 'org_id'] },
  {
    table: 'metrics',
    primaryKey: ['id', 'org_id'],
    foreignKeys: [{ columns: ['org_id', 'dataset_id'], parent: 'datasets', parentColumns: ['org_id', 'id'] }],
  },
  { table: 'dimensions', primaryKey: ['id', 'org_id'], foreignKeys: [toMetric] },
  {
    table: 'data_points',
    primaryKey: ['id', 'org_id'],
    foreignKeys: [toMetric],
    // The upsert's ON CONFLICT target (store/points.ts) names these columns.
    uniqueIndexes: [
      {
        name: 'data_points_identity',
        columns: ['metric_id', 'period_start', 'period_end', 'coord_key', 'org_id'],
      },
    ],
  },
  // SQLite keeps its INTEGER PRIMARY KEY: it is the rowid, the only way SQLite numbers rows
  // as they come (sqlite-rebuild.ts leaves such a table as it is).
  { table: 'point_revisions', primaryKey: ['id', 'org_id'] },
  { table: 'jobs', primaryKey: ['id', 'org_id'] },
  {
    table: 'job_payload_chunks',
    primaryKey: ['job_id', 'seq', 'org_id'],
    pkName: 'job_payload_chunks_pk',
    foreignKeys: [{ columns: ['org_id', 'job_id'], parent: 'jobs', parentColumns: ['org_id', 'id'] }],
  },
  { table: 'analytics_entities', primaryKey: ['id', 'org_id'] },
  {
    table: 'analytics_trait_history',
    primaryKey: ['id', 'org_id'],
    foreignKeys: [
      { columns: ['org_id', 'entity_id'], parent: 'analytics_entities', parentColumns: ['org_id', 'id'] },
    ],
  },
  { table: 'analytics_events', primaryKey: ['id', 'org_id'] },
  {
    table: 'point_rollups',
    primaryKey: ['metric_id', 'level', 'coord_key', 'bucket', 'org_id'],
    pkName: 'point_rollups_pk',
    foreignKeys: [toMetric],
  },
  {
    table: 'rollup_coordinates',
    primaryKey: ['metric_id', 'coord_key', 'org_id'],
    pkName: 'rollup_coordinates_pk',
    foreignKeys: [toMetric],
  },
  {
    table: 'rollup_marks',
    primaryKey: ['metric_id', 'month', 'org_id'],
    pkName: 'rollup_marks_pk',
    foreignKeys: [toMetric],
  },
  { table: 'metric_activity', primaryKey: ['metric_id', 'org_id'], foreignKeys: [toMetric] },
  {
    table: 'sessions',
    primaryKey: ['token_hash', 'org_id'],
    foreignKeys: [{ columns: ['org_id', 'key_id'], parent: 'api_keys', parentColumns: ['org_id', 'id'] }],
  },
];

export function orgKeys(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (types.keyChanges === 'rebuild') await rebuildWithKeys(db, ORG_KEYS);
      else await alterKeys(db, ORG_KEYS);
    },
  };
}

/** A foreign key's name: PostgreSQL's own default for the single-column key it replaces. */
const fkName = (table: string, columns: string[]) => `${table}_${columns[columns.length - 1]}_fkey`;

/**
 * PostgreSQL changes keys in place, in one transaction: the foreign keys go first (a primary
 * key with foreign keys on it cannot be dropped), then each primary key and unique index is
 * replaced, then the foreign keys come back on (org_id, x_id), checked against the rows.
 */
export async function alterKeys(db: Kysely<unknown>, tables: KeyedTable[]): Promise<void> {
  for (const t of tables)
    for (const fk of t.foreignKeys ?? [])
      await db.schema.alterTable(t.table).dropConstraint(fkName(t.table, fk.columns)).execute();
  for (const t of tables) {
    const pk = t.pkName ?? `${t.table}_pkey`;
    await db.schema.alterTable(t.table).dropConstraint(pk).execute();
    await db.schema.alterTable(t.table).addPrimaryKeyConstraint(pk, t.primaryKey).execute();
    for (const u of t.uniqueIndexes ?? []) {
      // Through sql.table: Kysely's DROP INDEX is not qualified with the schema.
      await sql`drop index ${sql.table(u.name)}`.execute(db);
      await db.schema.createIndex(u.name).unique().on(t.table).columns(u.columns).execute();
    }
  }
  for (const t of tables)
    for (const fk of t.foreignKeys ?? [])
      await db.schema
        .alterTable(t.table)
        .addForeignKeyConstraint(fkName(t.table, fk.columns), fk.columns, fk.parent, fk.parentColumns, (c) =>
          c.onDelete('cascade'),
        )
        .execute();
}
