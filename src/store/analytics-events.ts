import type { ExpressionBuilder, Kysely } from 'kysely';
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

const EVENTS: BulkInsert<EventRow> = { table: 'analytics_events', columns: EVENT_COLUMNS };

export function insertEvents(store: Store, db: Kysely<DB>, rows: EventRow[]): Promise<void> {
  return store.engine.insertRows(db, EVENTS, rows);
}

export interface EventFilter {
  userId?: string;
  accountId?: string;
  event?: string;
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

/**
 * Event counts per UTC day, days from `fromDay` to `toDay` inclusive. The range is taken on
 * occurred_at, so the (event, occurred_at, …, day) index answers the whole query.
 */
export async function countEventsByDay(
  db: Kysely<DB>,
  orgId: string,
  f: EventFilter & { fromDay?: string; toDay?: string },
): Promise<{ day: string; n: number }[]> {
  let q = filtered(db, orgId, f).select((eb) => ['day', eb.fn.countAll<number>().as('n')]);
  if (f.fromDay !== undefined) q = q.where('occurred_at', '>=', `${f.fromDay}T00:00:00.000Z`);
  if (f.toDay !== undefined) q = q.where('occurred_at', '<', nextDay(f.toDay));
  const rows = await q.groupBy('day').orderBy('day').execute();
  return rows.map((r) => ({ day: String(r.day), n: Number(r.n) }));
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
