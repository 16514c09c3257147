import { Invalid, NotFound } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Metric } from '../metrics.ts';
import { decodeCursor, encodeCursor, type Page, toPage } from '../paging.ts';
import { queryDate, queryInstant } from '../periods.ts';
import type { Storage } from '../ports/index.ts';
import { pointMetric } from './metric-cache.ts';
import type { IdentityKey, PointFilter, PointKeysetFilter, PointRecord } from './point-record.ts';
import { type StoredPoint, toStoredPoint } from './stored-point.ts';

/**
 * The listing's orders: `created`, the order points were first stored (ids are time-ordered;
 * the default, so cursors given out before there was a choice still page the same way);
 * `period`, oldest period first, and `-period`, newest first (period start, then period end,
 * then coordinates: the identity index, read either way round).
 */
export const POINT_ORDERS = ['created', 'period', '-period'] as const;
export type PointOrder = (typeof POINT_ORDERS)[number];

export interface PointQuery {
  from?: string;
  to?: string;
  /** dimension id or name → member */
  coordinates?: Record<string, string>;
  /** Read the values as they were at this instant (ISO-8601). */
  asOf?: string;
  cursor?: string;
  limit: number;
  order?: PointOrder;
}

/** Dimension names in a filter become ids, so filters may use either. */
export function filterByDimensionIds(metric: Metric, coords: Record<string, string> | undefined) {
  if (!coords) return undefined;
  return Object.fromEntries(
    Object.entries(coords).map(([k, v]) => [
      metric.dimensions.find((d) => d.id === k || d.name === k)?.id ?? k,
      v,
    ]),
  );
}

/**
 * `as_of` as the stored timestamps are written (ISO-8601 UTC, milliseconds). SQLite compares
 * them as text, where `…T12:00:00+02:00` or `…T10:00:05Z` would sort wrongly against
 * `…T10:00:05.123Z`; PostgreSQL would take words like 'yesterday'.
 */
const instant = (asOf: string) => queryInstant(asOf, 'as_of');

export async function readPoints(
  storage: Storage,
  orgId: string,
  metricId: string,
  q: PointQuery,
): Promise<Page<StoredPoint>> {
  const metric = await pointMetric(storage, orgId, metricId);
  if (q.order === 'period' || q.order === '-period') return readByPeriod(storage, orgId, metric, q, q.order);
  const filter: PointFilter = {
    from: queryDate(q.from, 'from'),
    to: queryDate(q.to, 'to'),
    coordinates: filterByDimensionIds(metric, q.coordinates),
    after: decodeCursor(q.cursor),
    limit: q.limit + 1,
  };
  const rows = q.asOf
    ? await storage.listPointsAsOf(orgId, metricId, instant(q.asOf), filter)
    : await storage.listPoints(orgId, metricId, filter);
  const page = toPage(rows, q.limit);
  return { items: page.items.map(toStoredPoint), next_cursor: page.next_cursor };
}

const badCursor = () =>
  new Invalid([{ field: 'cursor', message: 'is not a valid cursor', in: 'query', path: ['cursor'] }], true);

/**
 * Where a period-ordered page starts: the identity of the point the cursor names (its last
 * point). The cursor holds that point's id, not its identity, so it stays short however long
 * the coordinates are; a point is never removed (a delete marks it), so the id always resolves.
 */
async function cursorIdentity(
  storage: Storage,
  orgId: string,
  metricId: string,
  cursor: string | undefined,
  order: PointOrder,
): Promise<IdentityKey | undefined> {
  const id = decodeCursor(cursor, order);
  if (!id) return undefined;
  const [point] = await storage.pointsByIds(orgId, [id]);
  if (!point || point.metric_id !== metricId) throw badCursor();
  return { period_start: point.period_start, period_end: point.period_end, coord_key: point.coord_key };
}

/**
 * A page of the listing by period: keyset pages of the identity index until `limit + 1`
 * points are in hand (as of a time, a read may skip points that did not exist then).
 */
async function readByPeriod(
  storage: Storage,
  orgId: string,
  metric: Metric,
  q: PointQuery,
  order: 'period' | '-period',
): Promise<Page<StoredPoint>> {
  const asOf = q.asOf === undefined ? undefined : instant(q.asOf);
  const base = {
    from: queryDate(q.from, 'from'),
    to: queryDate(q.to, 'to'),
    coordinates: filterByDimensionIds(metric, q.coordinates),
    descending: order === '-period',
  };
  let after = await cursorIdentity(storage, orgId, metric.id, q.cursor, order);
  const rows: PointRecord[] = [];
  while (rows.length <= q.limit) {
    // As of a time a page may come back short; asking for a whole page each time keeps the
    // round trips few when many points did not exist then.
    const limit = asOf === undefined ? q.limit + 1 - rows.length : q.limit + 1;
    const filter: PointKeysetFilter = { ...base, after, limit };
    const page =
      asOf === undefined
        ? await storage.listPointsInIdentityOrder(orgId, metric.id, filter)
        : await storage.listPointsAsOfInIdentityOrder(orgId, metric.id, asOf, filter);
    rows.push(...page.points);
    if (!page.next) break;
    after = page.next;
  }
  const items = rows.slice(0, q.limit);
  const next = rows.length > q.limit ? encodeCursor(items[items.length - 1].id, order) : null;
  return { items: items.map(toStoredPoint), next_cursor: next };
}

/** Every point matching the query (all pages), for rollups. */
export async function readAllPoints(
  storage: Storage,
  orgId: string,
  metricId: string,
  q: Omit<PointQuery, 'cursor' | 'limit'>,
): Promise<StoredPoint[]> {
  const out: StoredPoint[] = [];
  let cursor: string | undefined;
  do {
    const page = await readPoints(storage, orgId, metricId, { ...q, cursor, limit: 5000 });
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

export async function pointRevisions(storage: Storage, orgId: string, metricId: string, pointId: string) {
  const revisions = await storage.pointRevisions(orgId, pointId);
  if (revisions.length === 0 || revisions[0].metric_id !== metricId) throw new NotFound('data point');
  return revisions.map((r) => ({
    id: Number(r.id),
    op: r.op,
    old_value: r.old_value,
    new_value: r.new_value,
    actor: r.actor,
    request_id: r.request_id,
    job_id: r.job_id,
    changed_at: r.changed_at,
  }));
}

/** Points of several metrics, page-numbered; every metric must be the organization's. */
export async function readPointsPage(
  storage: Storage,
  orgId: string,
  q: { metricIds: string[]; from?: string; to?: string; excludeBlank?: boolean; page: number; size: number },
): Promise<{ items: StoredPoint[]; total: number }> {
  const metricIds = [...new Set(q.metricIds)];
  // `metric_id=` or `metric_id=,` names no metric: a malformed query, as a missing parameter
  // is (PostgreSQL refuses the empty IN list the listing would make; the fuzzer found a 500).
  if (metricIds.length === 0) throw Invalid.field('metric_id', 'names no metric', true);
  const found = (await storage.findMetricsByIds(orgId, metricIds.filter(isUuid))).map((m) => m.id);
  if (found.length !== metricIds.length) throw new NotFound('metric');
  const filter = {
    metricIds,
    from: queryDate(q.from, 'start_date'),
    to: queryDate(q.to, 'end_date'),
    excludeBlank: q.excludeBlank,
  };
  const [rows, total] = await Promise.all([
    storage.listPointsOffset(orgId, filter, (q.page - 1) * q.size, q.size),
    storage.countPoints(orgId, filter),
  ]);
  return { items: rows.map(toStoredPoint), total };
}
