import type { components } from '../client/schema';
import type { Granularity } from '../core/periods.ts';
import type { Aggregate } from '../core/points/series.ts';
import { apiClient, type Connection, dataOf } from './api-client.ts';

// The HTTP side of `kpihub series` and `kpihub summary`: GET /v1/metrics/{id}/series and
// GET /v1/datasets/{id}/summary (every page), answered as JSON. Values stay the server's
// exact decimal strings.

// The answers' shapes are the OpenAPI document's, as the generated client types them.
export type Series = components['schemas']['Series'];
export type SeriesGroup = NonNullable<Series['groups']>[number];
export type MetricSummary = components['schemas']['Summary']['items'][number];

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

export interface SummaryRequest {
  periods?: number;
  agg?: string;
}

/** The summary's page size: the route's largest. */
export const SUMMARY_PAGE = 200;

/** GET /v1/metrics/{id}/series with the options given (the server's defaults for the rest). */
export async function fetchSeries(conn: Connection, metricId: string, req: SeriesRequest): Promise<Series> {
  const answer = await apiClient(conn).GET('/v1/metrics/{id}/series', {
    params: {
      path: { id: metricId },
      query: {
        granularity: req.granularity as Granularity | undefined,
        agg: req.agg as Aggregate | undefined,
        from: req.from,
        to: req.to,
        coordinates: req.coordinates ? JSON.stringify(req.coordinates) : undefined,
        as_of: req.asOf,
        group_by: req.groupBy,
        top: req.top,
      },
    },
  });
  return dataOf(answer);
}

/** Every metric of a dataset summarized: GET /v1/datasets/{id}/summary, page after page. */
export async function fetchSummary(
  conn: Connection,
  datasetId: string,
  req: SummaryRequest,
): Promise<MetricSummary[]> {
  const client = apiClient(conn);
  const items: MetricSummary[] = [];
  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: components['schemas']['Summary'] = dataOf(
      await client.GET('/v1/datasets/{id}/summary', {
        params: {
          path: { id: datasetId },
          query: {
            limit: SUMMARY_PAGE,
            periods: req.periods,
            agg: req.agg as Aggregate | undefined,
            cursor: cursor ?? undefined,
          },
        },
      }),
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
