import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { engines } from '../helpers/engines.ts';
import { usePostgresOrg } from '../helpers/pg-store.ts';

// Every statement names KPI Hub's schema (postgres-schema.ts). Raw SQL made of text, values
// and sql.table(...) takes a light walk; anything else takes Kysely's generic passes. The
// test connections search a schema that does not exist, so a name left unqualified fails.

describe.skipIf(!engines().includes('postgres'))('the schema plugin on PostgreSQL', () => {
  const pg = usePostgresOrg();

  it('qualifies sql.table(...) in raw SQL, nested fragments included', async () => {
    const where = sql`where o.id = ${pg.orgId}`;
    const rows = await sql<{
      name: string;
    }>`select o.name from ${sql.table('organizations')} o ${sql`${where}`}`.execute(pg.store.db);
    expect(rows.rows).toEqual([{ name: 'Org' }]);
    const compiled = sql`select 1 from ${sql.table('organizations')}`.compile(pg.store.db);
    expect(compiled.sql).toBe(`select 1 from "${pg.store.schema}"."organizations"`);
  });

  it('qualifies a query Kysely built inside raw SQL (the generic passes)', async () => {
    const built = pg.store.db.selectFrom('organizations').select('name').where('id', '=', pg.orgId);
    const rows = await sql<{ name: string }>`select s.name from (${built}) s, ${sql.table('organizations')} o
      where o.id = ${pg.orgId}`.execute(pg.store.db);
    expect(rows.rows).toEqual([{ name: 'Org' }]);
  });

  it('leaves a table already named with a schema as it is', () => {
    const compiled = sql`select 1 from ${sql.table('pg_catalog.pg_class')}`.compile(pg.store.db);
    expect(compiled.sql).toBe('select 1 from "pg_catalog"."pg_class"');
  });
});
