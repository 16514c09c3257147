import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents } from '../../src/core/analytics/events.ts';
import type { EventRecord } from '../../src/core/analytics/records.ts';
import { newId } from '../../src/core/ids.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { migrateTo, migrateToLatest } from '../../src/store/migrate.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createStorage } from '../../src/store/storage.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/engines.ts';

// Migration 0006 creates the day counts and counts the events stored before it, once; the
// events written after it are added by the write path.

describe.each(engines())('migration 0006-event-counts [%s]', (engine) => {
  let database: TestDatabase;
  let store: Store;
  let orgs: string[];

  const event = (orgId: string, name: string, at: string): EventRecord => ({
    id: newId(),
    org_id: orgId,
    user_id: 'u1',
    account_id: null,
    organization_id: null,
    event: name,
    properties: '{}',
    occurred_at: at,
    day: at.slice(0, 10),
    message_id: null,
    received_at: at,
  });

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    store = openStore(database.url, { poolSize: 2 });
    await migrateTo(store, '0004-analytics');
    orgs = [(await insertOrganization(store.db, 'A')).id, (await insertOrganization(store.db, 'B')).id];
    // Written as a release without the day counts wrote them: straight into the events table.
    const rows = [
      event(orgs[0], 'login', '2024-01-31T23:59:59.999Z'),
      event(orgs[0], 'login', '2024-01-31T00:00:00.000Z'),
      event(orgs[0], 'login', '2024-02-01T00:00:00.000Z'),
      event(orgs[0], 'signup', '2024-02-01T10:00:00.000Z'),
      event(orgs[1], 'login', '2024-01-31T12:00:00.000Z'),
    ];
    await store.db.insertInto('analytics_events').values(rows).execute();
    expect(await migrateToLatest(store)).toContain('0006-event-counts');
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('counts the events stored before it, per organization, name and day', async () => {
    const rows = await store.db
      .selectFrom('analytics_event_counts')
      .select(['org_id', 'event', 'day', 'count'])
      .orderBy('org_id')
      .orderBy('event')
      .orderBy('day')
      .execute();
    const sorted = [...orgs].sort();
    const a = sorted.indexOf(orgs[0]) === 0;
    const ofA = [
      { org_id: orgs[0], event: 'login', day: '2024-01-31', count: 2 },
      { org_id: orgs[0], event: 'login', day: '2024-02-01', count: 1 },
      { org_id: orgs[0], event: 'signup', day: '2024-02-01', count: 1 },
    ];
    const ofB = [{ org_id: orgs[1], event: 'login', day: '2024-01-31', count: 1 }];
    expect(rows.map((r) => ({ ...r, count: Number(r.count) }))).toEqual(
      a ? [...ofA, ...ofB] : [...ofB, ...ofA],
    );
  });

  it('the counts read go on from the backfill as new events arrive', async () => {
    const storage = createStorage(store);
    const row = event(orgs[0], 'login', '2024-02-01T23:00:00.000Z');
    await storage.transaction((tx) => tx.writeRecords(row.org_id, { events: [row], eventCounts: [row] }));
    const month = await countEvents(storage, orgs[0], { event: 'login', granularity: 'month' });
    expect(month.series).toEqual([
      { period_start: '2024-01-01', count: 2 },
      { period_start: '2024-02-01', count: 2 },
    ]);
    const all = await countEvents(storage, orgs[1], { granularity: 'day' });
    expect(all).toMatchObject({ event: null, total: 1, events: [{ event: 'login', total: 1 }] });
  });
});
