import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createTestStore, engines, type TestDatabase } from '../helpers/engines.ts';

// Every statement names KPI Hub's schema (postgres-schema.ts). Raw SQL made of text, values
// and sql.table(...) takes a light walk; anything else takes Kysely's generic passes. The
// test connections search a schema that does not exist, so a name left unqualified fails.

describe.skipIf(!engines().includes('postgres'))('the schema plugin on PostgreSQL', () => {
  let store: Store;
  let database: TestDatabase;
  let orgId: string;

  beforeAll(async () => {
    ({ store, database } = await createTestStore('postgres'));
    orgId = (await insertOrganization(store.db, 'Org')).id;
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('qualifies sql.table(...) in raw SQL, nested fragments included', async () => {
    const where = sql`where o.id = ${orgId}`;
    const rows = await sql<{
      name: string;
    }>`select o.name from ${sql.table('organizations')} o ${sql`${where}`}`.execute(store.db);
    expect(rows.rows).toEqual([{ name: 'Org' }]);
    const compiled = sql`select 1 from ${sql.table('organizations')}`.compile(store.db);
    expect(compiled.sql).toBe(`select 1 from "${store.schema}"."organizations"`);
  });

  it('qualifies a query Kysely built inside raw SQL (the generic passes)', async () => {
    const built = store.db.selectFrom('organizations').select('name').where('id', '=', orgId);
    const rows = await sql<{ name: string }>`select s.name from (${built}) s, ${sql.table('organizations')} o
      where o.id = ${orgId}`.execute(store.db);
    expect(rows.rows).toEqual([{ name: 'Org' }]);
  });

  it('leaves a table already named with a schema as it is', () => {
    const compiled = sql`select 1 from ${sql.table('pg_catalog.pg_class')}`.compile(store.db);
    expect(compiled.sql).toBe('select 1 from "pg_catalog"."pg_class"');
  });
});
