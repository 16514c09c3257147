import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createTestStore, type Engine, engines, type TestDatabase } from '../helpers/engines.ts';

// The service gathers planner statistics itself after a bulk change (engine.refreshStatistics):
// PostgreSQL plans from them, and a server without autovacuum never gathers them.

describe.each(engines())('planner statistics [%s]', (engine: Engine) => {
  let store: Store;
  let database: TestDatabase;

  beforeAll(async () => {
    ({ store, database } = await createTestStore(engine));
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('are gathered for a table changed in bulk, once, and not for the others', async () => {
    const org = await insertOrganization(store.db, 'Org');
    const metricId = '01900000-0000-7000-8000-0000000000cc';
    await sql`insert into ${sql.table('metrics')} (id, org_id, name, value_type, created_at, updated_at)
      values (${metricId}, ${org.id}, 'Revenue', 'number', ${'2026-01-01T00:00:00Z'}, ${'2026-01-01T00:00:00Z'})`.execute(
      store.db,
    );
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      id: `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`,
      org_id: org.id,
      metric_id: metricId,
      period_start: `2000-01-${String((i % 28) + 1).padStart(2, '0')}`,
      period_end: `2000-01-${String((i % 28) + 1).padStart(2, '0')}`,
      coord_key: `["m${i}"]`,
      value: '1',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    }));
    for (let i = 0; i < rows.length; i += 500)
      await store.db
        .insertInto('data_points')
        .values(rows.slice(i, i + 500))
        .execute();

    if (engine === 'sqlite') {
      expect(await store.engine.refreshStatistics(store.db)).toEqual([]);
      return;
    }
    // The server counts changes per table a moment after they commit (its statistics are
    // flushed within a second or so): ask until the count is in.
    let first: string[] = [];
    for (let i = 0; i < 50 && !first.includes('data_points'); i++) {
      first = await store.engine.refreshStatistics(store.db);
      if (!first.includes('data_points')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(first).toContain('data_points');
    expect(first).not.toContain('jobs');
    const gathered = await sql<{ n: number }>`
      select count(*)::int as n from pg_stats where schemaname = ${store.schema} and tablename = 'data_points'`.execute(
      store.db,
    );
    expect(gathered.rows[0].n).toBeGreaterThan(0);
    // Fresh now: nothing to do until the table changes a lot again.
    expect(await store.engine.refreshStatistics(store.db)).toEqual([]);
  });
});
