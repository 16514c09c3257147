import { Invalid } from '../errors.ts';
import type { Page } from '../paging.ts';
import { queryDate } from '../periods.ts';
import type { Storage } from '../ports/index.ts';
import type { JsonObject } from './message-types.ts';
import { normalizeTimestamp } from './messages.ts';
import type { EventRecord } from './records.ts';
import { bucketsBetween, type Granularity, type SeriesPoint, seriesOver } from './series.ts';

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

export interface EventSeries {
  event: string;
  total: number;
  series: SeriesPoint[];
}

export interface EventCounts {
  /** The event asked for; null when every event name is counted. */
  event: string | null;
  granularity: Granularity;
  /** Every event the counts cover: of `event`, or of every name. */
  total: number;
  series: SeriesPoint[];
  /** Without `event`: one series per name, the `top` names by total (then by name). */
  events?: EventSeries[];
  /** Without `event`: the names left out of `events`, summed; null when none was. */
  other?: { events: number; total: number; series: SeriesPoint[] } | null;
}

/** Most event names given a series of their own, and the default. */
export const MAX_TOP_EVENTS = 100;
export const DEFAULT_TOP_EVENTS = 10;
/** Most counts (buckets × series) one answer may hold. */
export const MAX_COUNT_POINTS = 100_000;

interface Bucketed {
  day: string;
  n: number;
}

/** Sums per bucket of several names' rows, sorted by bucket. */
function summed(lists: Bucketed[][]): Bucketed[] {
  const byBucket = new Map<string, number>();
  for (const list of lists) for (const r of list) byBucket.set(r.day, (byBucket.get(r.day) ?? 0) + r.n);
  return [...byBucket.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, n]) => ({ day, n }));
}

const totalOf = (rows: Bucketed[]) => rows.reduce((sum, r) => sum + r.n, 0);

/**
 * Counts per day, ISO week or month; `from` and `to` are UTC dates, inclusive. With `event`,
 * that event's series; without, the series of every event together, and one per name for
 * the `top` names (by total over the range) with the rest as `other`. Every series of one
 * answer covers the same buckets: from `from` (or the first bucket with an event) to `to`
 * (or the last one), empty buckets as zero.
 */
export async function countEvents(
  storage: Storage,
  orgId: string,
  q: EventQuery & { granularity: Granularity; from?: string; to?: string; top?: number },
): Promise<EventCounts> {
  // Years 0001-9999 only, on both engines (PostgreSQL has no year 0000).
  queryDate(q.from, 'from');
  queryDate(q.to, 'to');
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
    throw new Invalid([{ field: 'to', in: 'query', message: 'must not be before from' }], true);
  }
  const rows = await storage.countEvents(orgId, {
    ...filterOf(q),
    fromDay: q.from,
    toDay: q.to,
    granularity: q.granularity,
  });
  const byName = new Map<string, Bucketed[]>();
  for (const r of rows) {
    const list = byName.get(r.event);
    if (list) list.push({ day: r.period_start, n: r.n });
    else byName.set(r.event, [{ day: r.period_start, n: r.n }]);
  }
  const all = summed([...byName.values()]);
  // One range for every series of the answer, so they line up bucket for bucket.
  const buckets = bucketsBetween(q.granularity, q.from ?? all[0]?.day, q.to ?? all[all.length - 1]?.day);
  const at = new Map(buckets.map((b, i) => [b, i]));
  const over = (list: Bucketed[]) => seriesOver(buckets, at, list, q.granularity);
  const series = over(all);
  if (q.event !== undefined) {
    return { event: q.event, granularity: q.granularity, total: totalOf(all), series };
  }
  const ranked = [...byName.entries()]
    .map(([event, list]) => ({ event, list, total: totalOf(list) }))
    .sort((a, b) => b.total - a.total || (a.event < b.event ? -1 : a.event > b.event ? 1 : 0));
  const shown = ranked.slice(0, q.top ?? DEFAULT_TOP_EVENTS);
  const rest = ranked.slice(shown.length);
  const seriesCount = 1 + shown.length + (rest.length > 0 ? 1 : 0);
  if (buckets.length * seriesCount > MAX_COUNT_POINTS) {
    const message = `the answer would hold more than ${MAX_COUNT_POINTS} counts: ask for fewer names or a shorter range`;
    throw new Invalid([{ field: 'top', in: 'query', message }], true);
  }
  return {
    event: null,
    granularity: q.granularity,
    total: totalOf(all),
    series,
    events: shown.map((e) => ({ event: e.event, total: e.total, series: over(e.list) })),
    other:
      rest.length === 0
        ? null
        : {
            events: rest.length,
            total: rest.reduce((sum, e) => sum + e.total, 0),
            series: over(rest.flatMap((e) => e.list)),
          },
  };
}
