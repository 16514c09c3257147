import type { ExpressionBuilder, Kysely } from 'kysely';
import type { EventFilter } from '../core/analytics/records.ts';
import type { Granularity } from '../core/analytics/series.ts';
import type { Store } from './database.ts';
import type { BulkInsert } from './engine/types.ts';
import type { DB } from './schema.ts';

export type EventRow = DB['analytics_events'];

const EVENT_COLUMNS = [
  'id',
  'org_id',
  'user_id',
  'account_id',
  'organization_id',
  'event',
  'properties',
  'occurred_at',
  'day',
  'message_id',
  'received_at',
] as const;

export const EVENTS: BulkInsert<EventRow> = {
  table: 'analytics_events',
  columns: EVENT_COLUMNS,
  columnKinds: {
    id: 'uuid',
    org_id: 'uuid',
    user_id: 'text',
    account_id: 'text',
    organization_id: 'text',
    event: 'text',
    properties: 'text',
    occurred_at: 'timestamptz',
    day: 'date',
    message_id: 'text',
    received_at: 'timestamptz',
  },
};

type CountRow = DB['analytics_event_counts'];

// count = count + excluded.count. On SQLite one cached statement a row (no SQL to build per
// batch: a Kysely-built upsert measured +2-4 µs of CPU a message on Vitally batches).
export const COUNTS: BulkInsert<CountRow> = {
  table: 'analytics_event_counts',
  columns: ['org_id', 'event', 'day', 'count'],
  conflict: { target: ['org_id', 'event', 'day'], add: ['count'] },
  columnKinds: { org_id: 'uuid', event: 'text', day: 'date', count: 'bigint' },
};

/**
 * The count rows that add `rows` to their (name, day) counts: one per distinct (org, name,
 * day), with its number of events, in key order, so two batches never wait on each other in
 * a cycle. Written in the transaction that inserts the events: the counts are never stale,
 * and a batch that fails changes none.
 */
export function eventCountRows(rows: EventRow[]): CountRow[] {
  const counts = new Map<string, CountRow>();
  for (const r of rows) {
    const key = `${r.org_id}\u0000${r.event}\u0000${r.day}`;
    const c = counts.get(key);
    if (c) c.count++;
    else counts.set(key, { org_id: r.org_id, event: r.event, day: r.day, count: 1 });
  }
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
}

type EventsEb = ExpressionBuilder<DB, 'analytics_events'>;

/**
 * An account's events are those sent with its accountId, and those of its users sent
 * without one (a track message names only its user).
 */
function byAccount(eb: EventsEb, orgId: string, accountId: string) {
  return eb.or([
    eb('account_id', '=', accountId),
    eb.and([
      eb('account_id', 'is', null),
      eb(
        'user_id',
        'in',
        eb
          .selectFrom('analytics_links')
          .select('child_external_id')
          .where('org_id', '=', orgId)
          .where('parent_kind', '=', 'account')
          .where('parent_external_id', '=', accountId)
          .where('child_kind', '=', 'user'),
      ),
    ]),
  ]);
}

function filtered(db: Kysely<DB>, orgId: string, f: EventFilter) {
  let q = db.selectFrom('analytics_events').where('org_id', '=', orgId);
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.event !== undefined) q = q.where('event', '=', f.event);
  const accountId = f.accountId;
  if (accountId !== undefined) q = q.where((eb) => byAccount(eb, orgId, accountId));
  return q;
}

/** Events in (occurred_at, id) order, from `from` (inclusive) to `to` (exclusive). */
export function listEvents(
  db: Kysely<DB>,
  orgId: string,
  f: EventFilter & { from?: string; to?: string; after?: { at: string; id: string }; limit: number },
): Promise<EventRow[]> {
  let q = filtered(db, orgId, f).selectAll();
  if (f.from !== undefined) q = q.where('occurred_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('occurred_at', '<', f.to);
  const after = f.after;
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb('occurred_at', '>', after.at),
        eb.and([eb('occurred_at', '=', after.at), eb('id', '>', after.id)]),
      ]),
    );
  }
  return q.orderBy('occurred_at').orderBy('id').limit(f.limit).execute();
}

export interface EventCountRow {
  event: string;
  /** First day of the bucket. */
  period_start: string;
  n: number;
}

/**
 * Event counts per name and day, ISO week or month bucket, of the days from `fromDay` to
 * `toDay` inclusive, ordered by name and bucket. Without a user or account filter they are
 * summed from the day counts (analytics_event_counts: at most names × days rows); a user or
 * an account is not in those rows, so with one the events themselves are counted (exact,
 * slower: as many index entries as matching events).
 */
export async function countEvents(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  f: EventFilter & { fromDay?: string; toDay?: string; granularity: Granularity },
): Promise<EventCountRow[]> {
  const bucket = store.engine.dayBucket('day', f.granularity);
  if (f.userId !== undefined || f.accountId !== undefined) {
    let q = filtered(db, orgId, f).select([
      'event',
      bucket.as('period_start'),
      (eb) => eb.fn.countAll<number>().as('n'),
    ]);
    if (f.fromDay !== undefined) q = q.where('occurred_at', '>=', `${f.fromDay}T00:00:00.000Z`);
    if (f.toDay !== undefined) q = q.where('occurred_at', '<', nextDay(f.toDay));
    const rows = await q.groupBy(['event', bucket]).orderBy('event').orderBy(bucket).execute();
    return rows.map((r) => ({ event: r.event, period_start: String(r.period_start), n: Number(r.n) }));
  }
  if (f.granularity === 'day') {
    // One row per (org, name, day) already: read in key order, nothing to add up.
    let q = db
      .selectFrom('analytics_event_counts')
      .select(['event', 'day as period_start', 'count as n'])
      .where('org_id', '=', orgId);
    if (f.event !== undefined) q = q.where('event', '=', f.event);
    if (f.fromDay !== undefined) q = q.where('day', '>=', f.fromDay);
    if (f.toDay !== undefined) q = q.where('day', '<=', f.toDay);
    const rows = await q.orderBy('event').orderBy('day').execute();
    return rows.map((r) => ({ event: r.event, period_start: String(r.period_start), n: Number(r.n) }));
  }
  let q = db
    .selectFrom('analytics_event_counts')
    .select((eb) => [
      'event',
      bucket.as('period_start'),
      eb.cast<number>(eb.fn.sum('count'), 'bigint').as('n'),
    ])
    .where('org_id', '=', orgId);
  if (f.event !== undefined) q = q.where('event', '=', f.event);
  if (f.fromDay !== undefined) q = q.where('day', '>=', f.fromDay);
  if (f.toDay !== undefined) q = q.where('day', '<=', f.toDay);
  const rows = await q.groupBy(['event', bucket]).orderBy('event').orderBy(bucket).execute();
  return rows.map((r) => ({ event: r.event, period_start: String(r.period_start), n: Number(r.n) }));
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
