import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { identityProbe } from '../../src/store/engine/postgres-queries.ts';
import { engines } from '../helpers/engines.ts';
import { usePostgresOrg } from '../helpers/pg-store.ts';

// The write path looks every incoming point up by its identity before writing it. On
// PostgreSQL that lookup must probe the identity index key by key whatever the planner
// knows: during an ingest the tables are never analyzed, and a plan chosen from missing
// statistics (a hash join over all of a metric's points, nested loops over millions of
// rows) made Workiva batches spend 31 s of 41 s probing.

describe.skipIf(!engines().includes('postgres'))('the identity probe on PostgreSQL', () => {
  const metricId = '01900000-0000-7000-8000-0000000000aa';
  const pg = usePostgresOrg(async ({ store, orgId }) => {
    await sql`insert into ${sql.table('metrics')} (id, org_id, name, value_type, created_at, updated_at)
      values (${metricId}, ${orgId}, 'Revenue', 'number', now(), now())`.execute(store.db);
    // 60,000 points of one metric, never analyzed (autovacuum kept off this table).
    await sql`alter table ${sql.table('data_points')} set (autovacuum_enabled = false)`.execute(store.db);
    await sql`insert into ${sql.table('data_points')} (id, org_id, metric_id, period_start, period_end, coord_key, value, created_at, updated_at)
      select gen_random_uuid(), ${orgId}, ${metricId}, d, d, '["m' || (i % 60) || '"]', '1', now(), now()
      from generate_series(0, 59999) as i, lateral (select date '2000-01-01' + (i / 60) as d) as day`.execute(
      store.db,
    );
  });

  const keys = Array.from({ length: 1000 }, (_, i) => {
    const day = new Date(Date.UTC(2000, 0, 1) + Math.floor(i / 60) * 86_400_000).toISOString().slice(0, 10);
    return { period_start: day, period_end: day, coord_key: `["m${i % 60}"]` };
  });

  it('probes the identity index once per key, with no statistics at all', async () => {
    const stats = await sql<{ n: number }>`
      select count(*)::int as n from pg_stats where schemaname = ${pg.store.schema} and tablename = 'data_points'`.execute(
      pg.store.db,
    );
    expect(stats.rows[0].n).toBe(0);
    const plan = await sql<{
      'QUERY PLAN': string;
    }>`explain ${identityProbe(pg.orgId, metricId, keys)}`.execute(pg.store.db);
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index Scan using data_points_identity on data_points/);
    expect(text).not.toMatch(/Seq Scan on data_points|Hash Join|Merge Join/);
  });

  it('finds exactly the points that exist', async () => {
    const found = await identityProbe(pg.orgId, metricId, [
      ...keys.slice(0, 3),
      { period_start: '1999-12-31', period_end: '1999-12-31', coord_key: '["m0"]' },
    ]).execute(pg.store.db);
    expect(found.rows.map((r) => [String(r.period_start), r.coord_key])).toEqual([
      ['2000-01-01', '["m0"]'],
      ['2000-01-01', '["m1"]'],
      ['2000-01-01', '["m2"]'],
    ]);
    // Another organization's id finds nothing, even with the right metric and keys.
    const other = await identityProbe('01900000-0000-7000-8000-0000000000bb', metricId, keys).execute(
      pg.store.db,
    );
    expect(other.rows).toEqual([]);
  });
});
