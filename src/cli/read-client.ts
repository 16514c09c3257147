import { apiError, type Connection, endpoint, request } from './import-client.ts';

// The HTTP side of `kpihub series` and `kpihub summary`: GET /v1/metrics/{id}/series and
// GET /v1/datasets/{id}/summary (every page), answered as JSON. Values stay the server's
// exact decimal strings.

// The answers' shapes are core's own (the server sends them as core returns them).
export type { Series, SeriesGroup, SeriesPoint } from '../core/points/series.ts';

import type { Series } from '../core/points/series.ts';

export interface SeriesRequest {
  granularity?: string;
  agg?: string;
  from?: string;
  to?: string;
  /** dimension id or name → member */
  coordinates?: Record<string, string>;
  asOf?: string;
  groupBy?: string;
  top?: number;
}

export interface MetricSummary {
  metric_id: string;
  name: string;
  unit: string | null;
  value_type: string;
  granularity: string;
  agg: string;
  latest: { period_start: string; value: string; count: number } | null;
  previous: { period_start: string; value: string | null } | null;
  change: { absolute: string; percent: string | null } | null;
  sparkline: { period_start: string; value: string | null }[];
  last_write_at: string | null;
  last_write_by: string | null;
}

export interface SummaryRequest {
  periods?: number;
  agg?: string;
}

/** The summary's page size: the route's largest. */
export const SUMMARY_PAGE = 200;

async function getJson<T>(conn: Connection, path: string, query: URLSearchParams): Promise<T> {
  const res = await request(conn, endpoint(conn, path, query), {
    method: 'GET',
    headers: { accept: 'application/json' },
  });
  const text = await res.text();
  if (!res.ok) throw apiError(res, text);
  return JSON.parse(text) as T;
}

/** GET /v1/metrics/{id}/series with the options given (the server's defaults for the rest). */
export function fetchSeries(conn: Connection, metricId: string, req: SeriesRequest): Promise<Series> {
  const query = new URLSearchParams();
  if (req.granularity) query.set('granularity', req.granularity);
  if (req.agg) query.set('agg', req.agg);
  if (req.from) query.set('from', req.from);
  if (req.to) query.set('to', req.to);
  if (req.coordinates) query.set('coordinates', JSON.stringify(req.coordinates));
  if (req.asOf) query.set('as_of', req.asOf);
  if (req.groupBy) query.set('group_by', req.groupBy);
  if (req.top !== undefined) query.set('top', String(req.top));
  return getJson(conn, `v1/metrics/${encodeURIComponent(metricId)}/series`, query);
}

/** Every metric of a dataset summarized: GET /v1/datasets/{id}/summary, page after page. */
export async function fetchSummary(
  conn: Connection,
  datasetId: string,
  req: SummaryRequest,
): Promise<MetricSummary[]> {
  const items: MetricSummary[] = [];
  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: String(SUMMARY_PAGE) });
    if (req.periods !== undefined) query.set('periods', String(req.periods));
    if (req.agg) query.set('agg', req.agg);
    if (cursor) query.set('cursor', cursor);
    const page: { items: MetricSummary[]; next_cursor: string | null } = await getJson(
      conn,
      `v1/datasets/${encodeURIComponent(datasetId)}/summary`,
      query,
    );
    items.push(...page.items);
    cursor = page.next_cursor;
    // A server handing back a cursor it already gave would otherwise be followed forever.
    if (cursor !== null) {
      if (seen.has(cursor)) throw new Error(`the server repeated the summary cursor ${cursor}`);
      seen.add(cursor);
    }
  } while (cursor !== null);
  return items;
}
