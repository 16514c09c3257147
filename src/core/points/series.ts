import { Invalid } from '../errors.ts';
import type { ValueType } from '../limits.ts';
import type { Metric } from '../metrics.ts';
import { bucketStart, type Granularity, queryDate, queryInstant } from '../periods.ts';
import type { Storage } from '../ports/index.ts';
import { AGGREGATES, type Aggregate, copy, finish, mergeInto, single } from '../rollups/accumulator.ts';
import { refreshMetric } from '../rollups/refresh.ts';
import { seriesItems } from '../rollups/series-sources.ts';
import { isNumericType } from '../values.ts';
import {
  add,
  type Buckets,
  breakdown,
  emptyBuckets,
  memberReader,
  points,
  rankedBreakdown,
  subtractable,
} from './breakdown.ts';
import { pointMetric } from './metric-cache.ts';
import { filterByDimensionIds } from './read.ts';
import type { Series } from './series-types.ts';

export type { Series, SeriesGroup, SeriesPoint } from './series-types.ts';
export { AGGREGATES, type Aggregate };

export interface SeriesQuery {
  from?: string;
  to?: string;
  coordinates?: Record<string, string>;
  asOf?: string;
  /** A dimension (id or name): one series per member. */
  groupBy?: string;
  /** How many members get a series of their own (the rest become "other"). */
  top?: number;
}

export const TOP_DEFAULT = 10;

/** The aggregate of a list of values, in order (first and last by position). */
export function aggregate(agg: Aggregate, values: string[]): string {
  const accs = values.map((v, i) => single(String(i).padStart(12, '0'), v, agg !== 'count'));
  return finish(accs.slice(1).reduce(mergeInto, copy(accs[0])), agg);
}

/**
 * A metric's values rolled up by calendar bucket (a point belongs to the bucket its period
 * starts in), exact: read from the rollups maintained with every write (src/core/rollups),
 * or from the points and their revisions for `as_of`. Marked months are recomputed first
 * (through `storage`, the writer); the rows are then read through `reader`, which sees only
 * committed state (on SQLite a refresh in progress on the writer's connection would show).
 */
export async function series(
  storage: Storage,
  orgId: string,
  metricId: string,
  granularity: Granularity,
  agg: Aggregate,
  q: SeriesQuery,
  reader: Storage = storage,
): Promise<Series> {
  const metric = await pointMetric(storage, orgId, metricId);
  const numeric = isNumericType(metric.value_type as ValueType);
  if ((agg === 'sum' || agg === 'avg' || agg === 'min' || agg === 'max') && !numeric) {
    throw Invalid.field('agg', `only count, first and last work on a ${metric.value_type} metric`);
  }
  const from = queryDate(q.from, 'from');
  const to = queryDate(q.to, 'to');
  const asOf = q.asOf === undefined ? undefined : queryInstant(q.asOf, 'as_of');
  const dimension = q.groupBy === undefined ? undefined : groupDimension(metric, q.groupBy);
  const coordinates = filterByDimensionIds(metric, q.coordinates);
  // Only the months the range covers need to be up to date.
  if (!asOf) await refreshMetric(storage, orgId, metricId, { since: from, until: to });

  const all: Buckets = emptyBuckets();
  const members = new Map<string | null, Buckets>();
  const memberOf = memberReader(dimension);
  const fine = granularity === 'day' || granularity === 'week';
  const byCoordinates = dimension !== undefined || Object.keys(coordinates ?? {}).length > 0;
  // Dates repeat (one per coordinates key): each is put in its bucket once.
  const buckets = new Map<string, string>();
  const bucketOf = (date: string) => {
    let b = buckets.get(date);
    if (b === undefined) {
      b = bucketStart(date, granularity);
      buckets.set(date, b);
    }
    return b;
  };
  const source = { fine, from, to, coordinates, asOf, yearly: granularity === 'year' };
  // A breakdown without a filter: the whole comes from the all-coordinates rows (a row per
  // bucket), not from merging every member's rows a second time.
  const wholeApart = dimension !== undefined && !asOf && Object.keys(coordinates ?? {}).length === 0;
  if (wholeApart) {
    for await (const batch of seriesItems(reader, metric, agg, numeric, {
      ...source,
      byCoordinates: false,
    })) {
      for (const item of batch) add(all, bucketOf(item.date), item.acc);
    }
  }
  if (wholeApart && !fine && subtractable(agg)) {
    const groups = await rankedBreakdown(reader, metric, agg, {
      dimension,
      top: q.top ?? TOP_DEFAULT,
      from,
      to,
      all,
      bucketOf,
      yearly: granularity === 'year',
    });
    return { granularity, agg, points: points(all, agg), group_by: dimension, groups };
  }
  for await (const batch of seriesItems(reader, metric, agg, numeric, { ...source, byCoordinates })) {
    for (const item of batch) {
      const bucket = bucketOf(item.date);
      if (!wholeApart) add(all, bucket, item.acc);
      if (!dimension) continue;
      const member = memberOf(item.coordKey, item.coordinates);
      let m = members.get(member);
      if (!m) {
        m = emptyBuckets();
        members.set(member, m);
      }
      add(m, bucket, item.acc);
    }
  }
  const out: Series = { granularity, agg, points: points(all, agg) };
  if (dimension) {
    out.group_by = dimension;
    out.groups = breakdown(members, agg, q.top ?? TOP_DEFAULT);
  }
  return out;
}

function groupDimension(metric: Metric, name: string): string {
  const d = metric.dimensions.find((x) => x.id === name || x.name === name);
  if (!d)
    throw new Invalid([{ field: 'group_by', in: 'query', message: 'must name a dimension of the metric' }]);
  return d.id;
}
