import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.ts';
import { openStore } from '../../src/store/database.ts';
import { migrateTo, migrateToLatest } from '../../src/store/migrate.ts';
import { type CatalogTable, readCatalog } from '../helpers/catalog.ts';
import { createTestDatabase, type Engine, engines, type TestDatabase } from '../helpers/engines.ts';

// Ready to distribute by organization (issue 14): Citus shards every org-scoped table by
// org_id, and can only enforce a primary key or unique index that includes org_id and a
// foreign key that joins on it (both rows then live in the same shard). This reads the
// catalog each engine keeps, not the migrations, and names every table, key and index
// that breaks the rule.

/** Tables that are not org-scoped, each with why. Every other table must carry org_id. */
const GLOBAL_TABLES: Record<string, string> = {
  organizations:
    'the tenant itself: its id is the organization id, so its primary key is the distribution column already; org_id columns refer to it',
  kysely_migration: "Kysely's record of the migrations run: one per database, no organization's data",
  kysely_migration_lock: "Kysely's lock on migrating: one row per database",
};

/** The table org_id refers to: foreign keys to it join on (org_id) → (id). */
const TENANT = 'organizations';

/**
 * SQLite only: tables whose primary key stays the rowid (a single INTEGER PRIMARY KEY), each
 * with why. The rowid is no index and SQLite is never sharded; PostgreSQL's key of the same
 * table is checked like any other.
 */
const SQLITE_ROWID_KEYS: Record<string, string> = {
  point_revisions:
    'SQLite numbers revisions by rowid as they are written (their order); a composite key would end that',
};

/** Every way the schema breaks the rule, one line each, naming the offender. */
function distributionOffences(tables: CatalogTable[], engine: Engine): string[] {
  const out: string[] = [];
  const scoped = new Set(tables.filter((t) => !(t.name in GLOBAL_TABLES)).map((t) => t.name));
  const withOrg = (cols: (string | null)[]) => cols.includes('org_id');
  const show = (cols: (string | null)[]) => `(${cols.map((c) => c ?? '<expression>').join(', ')})`;
  for (const t of tables) {
    if (!scoped.has(t.name)) continue;
    if (!t.columns.has('org_id')) {
      out.push(`${t.name}: no org_id column`);
      continue;
    }
    const rowidExcused = engine === 'sqlite' && t.rowidKey && t.name in SQLITE_ROWID_KEYS;
    if (t.primaryKey.length === 0) out.push(`${t.name}: no primary key`);
    else if (!withOrg(t.primaryKey) && !rowidExcused)
      out.push(`${t.name}: primary key ${show(t.primaryKey)} lacks org_id`);
    for (const u of t.uniqueIndexes)
      if (!withOrg(u.columns)) out.push(`${t.name}: unique index ${u.name} ${show(u.columns)} lacks org_id`);
    for (const f of t.foreignKeys) {
      const fk = `${t.name}: foreign key ${show(f.columns)} → ${f.parent} ${show(f.parentColumns)}`;
      if (f.parent === TENANT) {
        if (f.columns.join() !== 'org_id' || f.parentColumns.join() !== 'id')
          out.push(`${fk} is not (org_id) → ${TENANT} (id)`);
      } else if (!scoped.has(f.parent)) {
        out.push(`${fk} refers to a global table`);
      } else {
        const at = f.columns.indexOf('org_id');
        if (at < 0 || f.parentColumns[at] !== 'org_id') out.push(`${fk} does not join on org_id`);
      }
    }
  }
  for (const name of Object.keys(GLOBAL_TABLES))
    if (!tables.some((t) => t.name === name)) out.push(`${name}: listed as global but not in the schema`);
  return out;
}

describe.each(engines())('distribution by organization [%s]', (engine) => {
  let database: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    store = openStore(database.url, { poolSize: 2 });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  // First the schema before 0010-org-keys: the check must find what that migration changed,
  // or it could pass on any schema.
  it('names every key the schema before 0010-org-keys breaks the rule with', async () => {
    await migrateTo(store, '0009-year-rollups');
    const found = distributionOffences(await readCatalog(store, engine), engine);
    expect(found).toEqual(
      expect.arrayContaining([
        'data_points: primary key (id) lacks org_id',
        'data_points: unique index data_points_identity (metric_id, period_start, period_end, coord_key) lacks org_id',
        'data_points: foreign key (metric_id) → metrics (id) does not join on org_id',
        'point_rollups: primary key (metric_id, level, coord_key, bucket) lacks org_id',
        'sessions: primary key (token_hash) lacks org_id',
        'sessions: foreign key (key_id) → api_keys (id) does not join on org_id',
        'metrics: foreign key (dataset_id) → datasets (id) does not join on org_id',
      ]),
    );
    // PostgreSQL's revisions key is a bigserial; SQLite's is the rowid, excused.
    expect(found.includes('point_revisions: primary key (id) lacks org_id')).toBe(engine === 'postgres');
  });

  it('every org-scoped table has org_id in its primary key, unique indexes and foreign keys', async () => {
    await migrateToLatest(store);
    const tables = await readCatalog(store, engine);
    expect(distributionOffences(tables, engine)).toEqual([]);
    // The catalog was read at all: the tables every org's data lives in are there.
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['data_points', 'metrics', 'jobs']));
  });

  it('the rowid exception is SQLite only and still holds there', async () => {
    const revisions = (await readCatalog(store, engine)).find((t) => t.name === 'point_revisions');
    if (engine === 'postgres') expect(revisions?.primaryKey).toEqual(['id', 'org_id']);
    else expect(revisions?.rowidKey).toBe(true);
  });
});
