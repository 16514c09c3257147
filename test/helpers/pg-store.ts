import { afterAll, beforeAll } from 'vitest';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createTestStore, type TestDatabase } from './engines.ts';

/** A PostgreSQL-only block's store and its one organization (set once its beforeAll ran). */
export interface PgOrg {
  store: Store;
  orgId: string;
}

/**
 * For a PostgreSQL-only describe block (plan and SQL-shape tests): a migrated store in a
 * database of its own with one organization, `seed` run once after it, all dropped after the
 * block.
 */
export function usePostgresOrg(seed?: (ctx: PgOrg) => Promise<void>): PgOrg {
  const ctx = {} as PgOrg;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    const created = await createTestStore('postgres');
    database = created.database;
    ctx.store = created.store;
    ctx.orgId = (await insertOrganization(ctx.store.db, 'Org')).id;
    await seed?.(ctx);
  });
  afterAll(async () => {
    await ctx.store?.close();
    await database?.drop();
  });
  return ctx;
}
