import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { migrateTo, migrateToLatest } from '../../src/store/migrate.ts';
import type { DB } from '../../src/store/schema.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/engines.ts';

// Migration 0010 gives every key org_id: in place on PostgreSQL, by rebuilding the tables on
// SQLite. Rows written before it must all be there after it, still tied to their parents.

const AT = '2024-01-01T00:00:00.000Z';

describe.each(engines())('migration 0010-org-keys [%s]', (engine) => {
  let database: TestDatabase;
  let store: Store;
  const org = newId();
  const other = newId();
  const metric = newId();
  const key = newId();
  const before = new Map<string, number>();

  const put = (table: keyof DB, row: Record<string, unknown>) =>
    store.db
      .insertInto(table)
      .values(row as never)
      .execute();
  const count = async (table: keyof DB, where: Record<string, string> = {}) => {
    let q = store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
    for (const [column, value] of Object.entries(where)) q = q.where(column as never, '=', value as never);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  const TABLES: (keyof DB)[] = [
    'api_keys',
    'sessions',
    'datasets',
    'metrics',
    'dimensions',
    'data_points',
    'point_revisions',
    'point_rollups',
    'rollup_coordinates',
    'rollup_marks',
    'metric_activity',
    'jobs',
    'job_payload_chunks',
    'analytics_entities',
    'analytics_trait_history',
    'analytics_events',
  ];

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    store = openStore(database.url, { poolSize: 2 });
    await migrateTo(store, '0009-year-rollups');
    for (const id of [org, other]) await put('organizations', { id, name: id, created_at: AT });
    const stamp = { created_at: AT, updated_at: AT };
    await put('api_keys', {
      id: key,
      org_id: org,
      name: 'k',
      lookup: 'l',
      secret_hash: 'h',
      scopes: 'admin',
      created_at: AT,
    });
    await put('sessions', {
      token_hash: 't',
      org_id: org,
      key_id: key,
      scopes: 'read',
      created_at: AT,
      expires_at: AT,
      last_seen_at: AT,
    });
    const dataset = newId();
    await put('datasets', { id: dataset, org_id: org, name: 'd', ...stamp });
    await put('metrics', {
      id: metric,
      org_id: org,
      dataset_id: dataset,
      name: 'm',
      value_type: 'number',
      ...stamp,
    });
    await put('dimensions', { id: newId(), org_id: org, metric_id: metric, name: 'region', position: 0 });
    for (const day of ['2024-01-01', '2024-01-02']) {
      const point = newId();
      const identity = { period_start: day, period_end: day, coord_key: '' };
      await put('data_points', {
        id: point,
        org_id: org,
        metric_id: metric,
        ...identity,
        value: '1',
        ...stamp,
      });
      await put('point_revisions', {
        org_id: org,
        point_id: point,
        metric_id: metric,
        op: 'insert',
        new_value: '1',
        changed_at: AT,
      });
    }
    const rollup = {
      metric_id: metric,
      org_id: org,
      coord_key: '',
      count: 2,
      first_key: 'a',
      first_value: '1',
      last_key: 'b',
      last_value: '1',
    };
    await put('point_rollups', { ...rollup, level: 'month', bucket: '2024-01-01' });
    await put('point_rollups', { ...rollup, level: 'day', bucket: '2024-01-02' });
    await put('rollup_coordinates', { metric_id: metric, coord_key: '', org_id: org });
    await put('rollup_marks', {
      metric_id: metric,
      month: '2024-02-01',
      org_id: org,
      version: 'v',
      marked_at: AT,
    });
    await put('metric_activity', { metric_id: metric, org_id: org, last_write_at: AT });
    const job = newId();
    await put('jobs', {
      id: job,
      org_id: org,
      kind: 'k',
      status: 'queued',
      max_attempts: 1,
      run_after: AT,
      meta: '{}',
      ...stamp,
    });
    await put('job_payload_chunks', { job_id: job, org_id: org, seq: 0, data: Buffer.from('payload') });
    const entity = newId();
    await put('analytics_entities', {
      id: entity,
      org_id: org,
      kind: 'user',
      external_id: 'u',
      traits: '{}',
      trait_times: '{}',
      ...stamp,
    });
    await put('analytics_trait_history', {
      id: newId(),
      org_id: org,
      entity_id: entity,
      trait_key: 'a',
      changed_at: AT,
      recorded_at: AT,
    });
    await put('analytics_events', {
      id: newId(),
      org_id: org,
      user_id: 'u',
      event: 'e',
      properties: '{}',
      occurred_at: AT,
      day: '2024-01-01',
      received_at: AT,
    });
    for (const t of TABLES) before.set(t, await count(t));
    expect(await migrateToLatest(store)).toContain('0010-org-keys');
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('keeps every row', async () => {
    const after = new Map<string, number>();
    for (const t of TABLES) after.set(t, await count(t));
    expect(after).toEqual(before);
    expect([...before.values()].every((n) => n > 0)).toBe(true);
    const chunk = await store.db.selectFrom('job_payload_chunks').select('data').executeTakeFirstOrThrow();
    expect(Buffer.from(chunk.data).toString()).toBe('payload');
  });

  it('refuses a row whose parent belongs to another organization', async () => {
    const day = '2024-03-01';
    const row = {
      id: newId(),
      org_id: other,
      metric_id: metric,
      period_start: day,
      period_end: day,
      coord_key: '',
      created_at: AT,
      updated_at: AT,
    };
    await expect(put('data_points', row)).rejects.toThrow(/foreign key/i);
  });

  it('still deletes a metric with everything under it', async () => {
    await store.db.deleteFrom('metrics').where('org_id', '=', org).where('id', '=', metric).execute();
    for (const t of [
      'dimensions',
      'data_points',
      'point_rollups',
      'rollup_coordinates',
      'rollup_marks',
      'metric_activity',
    ] as const)
      expect([t, await count(t, { metric_id: metric })]).toEqual([t, 0]);
    await store.db.deleteFrom('api_keys').where('id', '=', key).execute();
    expect(await count('sessions')).toBe(0);
  });
});
