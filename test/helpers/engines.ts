import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { DatabaseUrl } from '../../src/config.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';

export type Engine = 'sqlite' | 'postgres';

/** The engines this run covers: SQLite always, PostgreSQL when it is reachable. */
export function engines(): Engine[] {
  return inject('pgAvailable') ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDatabase {
  url: DatabaseUrl;
  /** The same database as a KPIHUB_DATABASE_URL, for child processes. */
  env: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one test file: a temporary SQLite file, or a schema of its own in
 * PostgreSQL, so test files run in parallel without seeing each other.
 */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kpihub-test-'));
    const path = join(dir, 'test.db');
    return {
      url: { engine: 'sqlite', path },
      env: `sqlite:${path}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const base = inject('pgUrl');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  if (process.env.KPIHUB_TEST_PG_MARKER) appendFileSync(process.env.KPIHUB_TEST_PG_MARKER, `${schema}\n`);
  // KPI Hub names its schema in every statement (src/store/engine/postgres-schema.ts), never
  // through search_path, so that it runs behind PgBouncer in transaction mode. The tests'
  // connections search a schema that does not exist: a table named without the schema is
  // not found, instead of being found in `public` or wherever the session happens to point.
  const guarded = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c search_path=kpihub_unqualified')}`;
  return {
    url: { engine: 'postgres', connectionString: guarded, schema },
    env: `${guarded}&schema=${schema}`,
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

export async function createTestStore(engine: Engine): Promise<{ store: Store; database: TestDatabase }> {
  const database = await createTestDatabase(engine);
  const store = openStore(database.url, { poolSize: 4 });
  await migrateToLatest(store);
  return { store, database };
}
