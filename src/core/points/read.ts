import { NotFound } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Metric } from '../metrics.ts';
import { decodeCursor, type Page, toPage } from '../paging.ts';
import { queryDate, queryInstant } from '../periods.ts';
import type { Storage } from '../ports/index.ts';
import { pointMetric } from './metric-cache.ts';
import type { PointFilter } from './point-record.ts';
import { type StoredPoint, toStoredPoint } from './stored-point.ts';

export interface PointQuery {
  from?: string;
  to?: string;
  /** dimension id or name → member */
  coordinates?: Record<string, string>;
  /** Read the values as they were at this instant (ISO-8601). */
  asOf?: string;
  cursor?: string;
  limit: number;
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
