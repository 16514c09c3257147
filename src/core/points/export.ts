import { getDataset } from '../datasets.ts';
import type { Metric } from '../metrics.ts';
import { queryDate, queryInstant } from '../periods.ts';
import type { Storage } from '../ports/index.ts';
import { pointMetric } from './metric-cache.ts';
import type { IdentityKey, PointKeysetFilter } from './point-record.ts';
import { filterByDimensionIds } from './read.ts';
import { type StoredPoint, toStoredPoint } from './stored-point.ts';

// The points of a metric, or of every metric of a dataset, for an export of any size: read
// page after page by keyset on the point's identity (period start, period end, coordinates:
// the order of the identity index, so each page is a range of it), and only one page is
// ever held, however many points match. The points come in that order: by period. Everything a request can get wrong (an unknown
// metric or dataset, a bad date, a bad as_of) is checked before the first page is read, so
// the caller can still answer with an error rather than a cut stream.

/** Points read per query: big enough that the round trips cost little, small enough to hold. */
export const EXPORT_PAGE_SIZE = 1000;

export interface ExportFilter {
  from?: string;
  to?: string;
  /** dimension id or name → member */
  coordinates?: Record<string, string>;
  /** The values as they were at this instant (ISO-8601). */
  asOf?: string;
}

export interface PointExport {
  /** The metrics exported, in export order, with their dimensions. */
  metrics: Metric[];
  /** The matching points, a page at a time; each call reads them afresh. */
  pages(): AsyncGenerator<StoredPoint[]>;
}

function exportOf(storage: Storage, orgId: string, metrics: Metric[], f: ExportFilter): PointExport {
  const from = queryDate(f.from, 'from');
  const to = queryDate(f.to, 'to');
  const asOf = f.asOf === undefined ? undefined : queryInstant(f.asOf, 'as_of');
  async function* pages(): AsyncGenerator<StoredPoint[]> {
    for (const metric of metrics) {
      const coordinates = filterByDimensionIds(metric, f.coordinates);
      let after: IdentityKey | undefined;
      for (;;) {
        const filter: PointKeysetFilter = { from, to, coordinates, after, limit: EXPORT_PAGE_SIZE };
        const page =
          asOf === undefined
            ? await storage.listPointsInIdentityOrder(orgId, metric.id, filter)
            : await storage.listPointsAsOfInIdentityOrder(orgId, metric.id, asOf, filter);
        if (page.points.length > 0) yield page.points.map(toStoredPoint);
        if (!page.next) break;
        after = page.next;
      }
    }
  }
  return { metrics, pages };
}

/** One metric's points; NotFound when the organization has no such metric. */
export async function exportMetricPoints(
  storage: Storage,
  orgId: string,
  metricId: string,
  f: ExportFilter,
): Promise<PointExport> {
  const metric = await pointMetric(storage, orgId, metricId);
  return exportOf(storage, orgId, [metric], f);
}

/** The points of every metric of a dataset, metric after metric; NotFound when there is no such dataset. */
export async function exportDatasetPoints(
  storage: Storage,
  orgId: string,
  datasetId: string,
  f: ExportFilter,
): Promise<PointExport> {
  const dataset = await getDataset(storage, orgId, datasetId);
  return exportOf(storage, orgId, dataset.metrics, f);
}
