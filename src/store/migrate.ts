import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Store } from './database.ts';
import type { ColumnTypes } from './engine/types.ts';
import { foundation } from './migrations/0001-foundation.ts';
import { points } from './migrations/0002-points.ts';
import { jobs } from './migrations/0003-jobs.ts';
import { analytics } from './migrations/0004-analytics.ts';
import { rollups } from './migrations/0005-rollups.ts';
import { eventCounts } from './migrations/0006-event-counts.ts';
import { sessions } from './migrations/0007-sessions.ts';
import { apiKeyAdmin } from './migrations/0008-api-key-admin.ts';
import { yearRollups } from './migrations/0009-year-rollups.ts';
import { orgKeys } from './migrations/0010-org-keys.ts';
import { markVersions } from './migrations/0011-mark-versions.ts';

// Migrations are code, listed in order; each gets the engine's column types to choose its
// column types. Add a feature's migration at the end of this list.
function migrations(types: ColumnTypes): Record<string, Migration> {
  return {
    '0001-foundation': foundation(types),
    '0002-points': points(types),
    '0003-jobs': jobs(types),
    '0004-analytics': analytics(types),
    '0005-rollups': rollups(types),
    '0006-event-counts': eventCounts(types),
    '0007-sessions': sessions(types),
    '0008-api-key-admin': apiKeyAdmin(types),
    '0009-year-rollups': yearRollups(),
    '0010-org-keys': orgKeys(types),
    '0011-mark-versions': markVersions(types),
  };
}

/**
 * PostgreSQL's invalid_schema_name, undefined_table and undefined_column: what Kysely's
 * introspection meets when someone else drops a schema, or drops or renames a table or column
 * in theirs, while it reads (see migrate()).
 */
const CATALOG_MOVED = new Set(['3F000', '42P01', '42703']);

export function migrateToLatest(store: Store): Promise<string[]> {
  return migrate(store, (m) => m.migrateToLatest());
}

/** Migrates up to and including `name` (tests of a migration's backfill). */
export function migrateTo(store: Store, name: string): Promise<string[]> {
  return migrate(store, (m) => m.migrateTo(name));
}

async function migrate(
  store: Store,
  run: (migrator: Migrator) => ReturnType<Migrator['migrateToLatest']>,
): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(store.engine.types) };
  for (let attempt = 1; ; attempt++) {
    try {
      // One process at a time (EngineOps.migrationSession): several starting together on an
      // empty database find the migrations done by the first.
      const results = await store.engine.migrationSession(store.db, async (db) => {
        // The schema is named so Kysely's bookkeeping table is looked for in our own schema
        // and not in another one of the same database (tests run each file in a schema of
        // its own).
        const migrator = new Migrator({ db, provider, migrationTableSchema: store.schema });
        const { error, results } = await run(migrator);
        // Thrown, so that a session that is a transaction rolls back whole.
        if (error) throw error;
        return results;
      });
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } catch (error) {
      // Kysely's introspection reads the catalog of every schema in the database; a schema
      // dropped by someone else meanwhile (another app, a parallel test file) fails that read
      // with 3F000 although ours is fine, and a column renamed in another schema's migration
      // with 42703 (its pg_get_serial_sequence looks the column up by a name read a moment
      // before: seen once in CI). Migrations are idempotent, and one that fails for a reason
      // of its own fails again: read again.
      if (CATALOG_MOVED.has((error as { code?: string }).code ?? '') && attempt < 3) continue;
      throw error;
    }
  }
}
