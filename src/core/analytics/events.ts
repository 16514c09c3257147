import { Invalid } from '../errors.ts';
import type { Page } from '../paging.ts';
import { queryDate } from '../periods.ts';
import type { Storage } from '../ports/index.ts';
import type { JsonObject } from './message-types.ts';
import { normalizeTimestamp } from './messages.ts';
import type { EventRecord } from './records.ts';
import { type Granularity, type SeriesPoint, toSeries } from './series.ts';

// Reading tracked events: a cursor-paged list in time order, and counts as a series.

export interface AnalyticsEvent {
  id: string;
  event: string;
  user_id: string;
  account_id: string | null;
  organization_id: string | null;
  properties: JsonObject;
  timestamp: string;
  received_at: string;
  message_id: string | null;
}

export interface EventQuery {
  user_id?: string;
  account_id?: string;
  event?: string;
}

// Events are ordered by their own time, not by arrival: the cursor is (time, id).
const encode = (row: { occurred_at: string; id: string }) =>
  Buffer.from(`${row.occurred_at}|${row.id}`).toString('base64url');

function decode(cursor: string | undefined): { at: string; id: string } | undefined {
  if (!cursor) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const cut = text.lastIndexOf('|');
  const at = cut > 0 ? normalizeTimestamp(text.slice(0, cut)) : null;
  if (!at)
    throw new Invalid([{ field: 'cursor', in: 'query', message: 'is not a cursor of this list' }], true);
  return { at, id: text.slice(cut + 1) };
}

function instant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const at = normalizeTimestamp(value);
  if (!at) throw new Invalid([{ field, in: 'query', message: 'must be an ISO-8601 date-time' }], true);
  return at;
}

function toEvent(row: EventRecord): AnalyticsEvent {
  return {
    id: row.id,
    event: row.event,
    user_id: row.user_id,
    account_id: row.account_id,
    organization_id: row.organization_id,
    properties: JSON.parse(row.properties),
    timestamp: row.occurred_at,
    received_at: row.received_at,
    message_id: row.message_id,
  };
}

const filterOf = (q: EventQuery) => ({ userId: q.user_id, accountId: q.account_id, event: q.event });

/** Events from `from` (inclusive) to `to` (exclusive), oldest first. */
export async function listEvents(
  storage: Storage,
  orgId: string,
  q: EventQuery & { from?: string; to?: string; cursor?: string; limit: number },
): Promise<Page<AnalyticsEvent>> {
  const rows = await storage.listEvents(orgId, {
    ...filterOf(q),
    from: instant(q.from, 'from'),
    to: instant(q.to, 'to'),
    after: decode(q.cursor),
    limit: q.limit + 1,
  });
  const items = rows.slice(0, q.limit);
  const next = rows.length > q.limit ? encode(items[items.length - 1]) : null;
  return { items: items.map(toEvent), next_cursor: next };
}

export interface EventCounts {
  event: string;
  granularity: Granularity;
  total: number;
  series: SeriesPoint[];
}

/** Counts of one event per day, week or month; `from` and `to` are UTC dates, inclusive. */
export async function countEvents(
  storage: Storage,
  orgId: string,
  q: EventQuery & { event: string; granularity: Granularity; from?: string; to?: string },
): Promise<EventCounts> {
  // Years 0001-9999 only, on both engines (PostgreSQL has no year 0000).
  queryDate(q.from, 'from');
  queryDate(q.to, 'to');
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
    throw new Invalid([{ field: 'to', in: 'query', message: 'must not be before from' }], true);
  }
  const daily = await storage.countEventsByDay(orgId, { ...filterOf(q), fromDay: q.from, toDay: q.to });
  const series = toSeries(daily, q.granularity, { from: q.from, to: q.to });
  return {
    event: q.event,
    granularity: q.granularity,
    total: daily.reduce((sum, d) => sum + d.n, 0),
    series,
  };
}
