import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { entityLookup } from '../../src/store/engine/postgres-queries.ts';
import { engines } from '../helpers/engines.ts';
import { usePostgresOrg } from '../helpers/pg-store.ts';

// A Vitally batch reads (and on PostgreSQL locks) its entities by (kind, external id) in one
// statement. That statement must probe the unique index whatever the planner knows: entities
// pile up during an ingest while the table is never analyzed.

describe.skipIf(!engines().includes('postgres'))('the entity lookup on PostgreSQL', () => {
  const pg = usePostgresOrg(async ({ store, orgId }) => {
    // 60,000 entities over three kinds, never analyzed (autovacuum kept off this table).
    await sql`alter table ${sql.table('analytics_entities')} set (autovacuum_enabled = false)`.execute(
      store.db,
    );
    await sql`insert into ${sql.table('analytics_entities')} (id, org_id, kind, external_id, traits, trait_times, created_at, updated_at)
      select gen_random_uuid(), ${orgId}, (array['user', 'account', 'organization'])[1 + i % 3], 'e' || i, '{}', '{}', now(), now()
      from generate_series(0, 59999) as i`.execute(store.db);
  });

  const kinds = ['user', 'account', 'organization'];
  const refs = Array.from({ length: 100 }, (_, i) => ({ kind: kinds[i % 3], external_id: `e${i * 7}` }));

  it('probes the unique index once per ref, with no statistics at all, and locks above the sort', async () => {
    const stats = await sql<{ n: number }>`
      select count(*)::int as n from pg_stats where schemaname = ${pg.store.schema} and tablename = 'analytics_entities'`.execute(
      pg.store.db,
    );
    expect(stats.rows[0].n).toBe(0);
    const plan = await sql<{ 'QUERY PLAN': string }>`explain ${entityLookup(pg.orgId, refs, true)}`.execute(
      pg.store.db,
    );
    const lines = plan.rows.map((r) => r['QUERY PLAN']);
    const text = lines.join('\n');
    expect(text).toMatch(/Index Scan using analytics_entities_key on analytics_entities/);
    expect(text).not.toMatch(/Seq Scan on analytics_entities|Hash Join|Merge Join/);
    // Rows are locked in (kind, external id) order: the LockRows node is above the sort.
    expect(lines[0]).toMatch(/^LockRows/);
    expect(lines.find((l) => /^ {2}->/.test(l))).toMatch(/^ {2}->\s+Sort/);
  });

  it('finds exactly the entities named, of this organization, in key order', async () => {
    const named = [
      { kind: 'user', external_id: 'e0' },
      { kind: 'account', external_id: 'e1' },
      { kind: 'user', external_id: 'e1' }, // e1 is an account, not a user
      { kind: 'organization', external_id: 'e2' },
    ];
    const found = await entityLookup(pg.orgId, named).execute(pg.store.db);
    expect(found.rows.map((r) => [r.kind, r.external_id])).toEqual([
      ['account', 'e1'],
      ['organization', 'e2'],
      ['user', 'e0'],
    ]);
    const other = await entityLookup('01900000-0000-7000-8000-0000000000bb', named).execute(pg.store.db);
    expect(other.rows).toEqual([]);
  });
});
