import type Big from 'big.js';
import type { Metric } from '../metrics.ts';
import type { Storage } from '../ports/index.ts';
import {
  type Accumulator,
  type Aggregate,
  addCell,
  copy,
  finish,
  finishCell,
  mergeInto,
  rank,
  type SumAggregate,
  type SumCell,
  subtractInto,
} from '../rollups/accumulator.ts';
import { rangeTotals, seriesSlices } from '../rollups/series-sources.ts';
import type { SeriesGroup, SeriesPoint } from './series-types.ts';

// Breakdowns by a dimension: one series per member for the top N by the aggregate over the
// range, the rest together as "other".

/** A series being built: the merge of everything in it, and per bucket. */
export interface Buckets {
  total: Accumulator | null;
  byBucket: Map<string, Accumulator>;
}

export const emptyBuckets = (): Buckets => ({ total: null, byBucket: new Map() });

export function add(b: Buckets, bucket: string, acc: Accumulator) {
  b.total = b.total ? mergeInto(b.total, acc) : copy(acc);
  const at = b.byBucket.get(bucket);
  if (at) mergeInto(at, acc);
  else b.byBucket.set(bucket, copy(acc));
}

/** A series' points from its buckets, in period order, each valued by `value`. */
function bucketPoints<C extends { count: number }>(
  byBucket: Map<string, C>,
  value: (cell: C) => string,
): SeriesPoint[] {
  return [...byBucket.entries()]
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([period_start, cell]) => ({ period_start, value: value(cell), count: cell.count }));
}

export function points(b: Buckets, agg: Aggregate): SeriesPoint[] {
  return bucketPoints(b.byBucket, (acc) => finish(acc, agg));
}

/** A member by coordinates key: each distinct key's JSON is parsed once. */
export function memberReader(dimension: string | undefined) {
  const seen = new Map<string, string | null>();
  return (coordKey: string, coordinates: string | null): string | null => {
    let m = seen.get(coordKey);
    if (m === undefined) {
      const parsed = coordinates ? (JSON.parse(coordinates) as Record<string, string>) : {};
      m = dimension && parsed[dimension] !== undefined ? String(parsed[dimension]) : null;
      seen.set(coordKey, m);
    }
    return m;
  };
}

/** Members by the aggregate over the range, highest first; ties by name, member null last. */
function ranked<T>(members: Map<string | null, T>, totalOf: (t: T) => Accumulator, agg: Aggregate) {
  return [...members.entries()]
    .map(([member, t]) => ({ member, t, score: rank(totalOf(t), agg) as Big }))
    .sort((x, y) => {
      const c = y.score.cmp(x.score);
      if (c !== 0) return c;
      if (x.member === y.member) return 0;
      if (x.member === null) return 1;
      if (y.member === null) return -1;
      return x.member < y.member ? -1 : 1;
    });
}

function group(
  member: string | null,
  other: boolean,
  n: number,
  total: Accumulator,
  agg: Aggregate,
  points: SeriesPoint[],
): SeriesGroup {
  return { member, other, members: n, value: finish(total, agg), count: total.count, points };
}

/** The top members (every member's series already built), then the rest merged as "other". */
export function breakdown(members: Map<string | null, Buckets>, agg: Aggregate, top: number): SeriesGroup[] {
  const order = ranked(members, (b) => b.total as Accumulator, agg);
  const out = order
    .slice(0, top)
    .map((r) => group(r.member, false, 1, r.t.total as Accumulator, agg, points(r.t, agg)));
  const rest = order.slice(top);
  if (rest.length > 0) {
    const other = emptyBuckets();
    for (const r of rest) for (const [bucket, acc] of r.t.byBucket) add(other, bucket, acc);
    out.push(group(null, true, rest.length, other.total as Accumulator, agg, points(other, agg)));
  }
  return out;
}

/** The aggregates whose "other" is the whole less the top members (count and sum subtract). */
export const subtractable = (agg: Aggregate): agg is SumAggregate =>
  agg === 'sum' || agg === 'avg' || agg === 'count';

/**
 * A breakdown without a filter, by month, quarter or year, of a `subtractable` aggregate, built
 * from as few rows as it can: members are ranked from a row per member and year (coord_year;
 * months and days at the range's cut ends), only the top N members' rows are read by bucket,
 * and "other" is the whole (`all`, from the all-coordinates rows) less the top N. Each
 * member's total is its ranking total, so a member's rows only fill its buckets, as they were
 * read: a bucket that is one row (by month) answers with the row's stored text, never parsed,
 * and no object is made for it (every member by month is 33,000 rows). (For min, max,
 * first and last "other" needs every other member's rows: the ranking would only add a
 * read.) A property test holds the answers equal to the points'.
 */
export async function rankedBreakdown(
  reader: Storage,
  metric: Metric,
  agg: SumAggregate,
  q: {
    dimension: string;
    top: number;
    from?: string;
    to?: string;
    all: Buckets;
    bucketOf: (date: string) => string;
    /** By year: whole years come from the year rows. */
    yearly: boolean;
  },
): Promise<SeriesGroup[]> {
  const known = await reader.rollupCoordinates(metric.org_id, metric.id);
  const memberOf = memberReader(q.dimension);
  const keysOf = new Map<string | null, string[]>();
  for (const c of known) {
    const m = memberOf(c.coord_key, c.coordinates);
    keysOf.set(m, [...(keysOf.get(m) ?? []), c.coord_key]);
  }
  const totals = new Map<string | null, Accumulator>();
  for (const item of await rangeTotals(reader, metric, agg, { from: q.from, to: q.to, known })) {
    const m = memberOf(item.coordKey, item.coordinates);
    const at = totals.get(m);
    if (at) mergeInto(at, item.acc);
    else totals.set(m, copy(item.acc));
  }
  const order = ranked(totals, (t) => t, agg);
  const top = order.slice(0, q.top);
  const rest = order.slice(q.top);

  // The top members' rows by bucket, kept as read: a row is the cell of its bucket (its
  // count and stored sum), merged only when a bucket has more than one (quarters, cut months).
  const seriesOf = async (members: (string | null)[]) => {
    const out = new Map<string | null, Map<string, SumCell>>(members.map((m) => [m, new Map()]));
    const onlyKeys = members.flatMap((m) => keysOf.get(m) ?? []);
    const source = {
      fine: false,
      from: q.from,
      to: q.to,
      byCoordinates: true,
      onlyKeys,
      known,
      yearly: q.yearly,
    };
    for await (const { rows, coordinates } of seriesSlices(reader, metric, agg, source)) {
      for (const r of rows) {
        const cells = out.get(memberOf(r.coord_key, coordinates?.get(r.coord_key) ?? null)) as Map<
          string,
          SumCell
        >;
        const bucket = q.bucketOf(r.bucket);
        const at = cells.get(bucket);
        if (at) addCell(at, r);
        else cells.set(bucket, r);
      }
    }
    return out;
  };
  const tops = await seriesOf(top.map((r) => r.member));
  const groups = top.map((r) =>
    group(
      r.member,
      false,
      1,
      totals.get(r.member) as Accumulator,
      agg,
      bucketPoints(tops.get(r.member) as Map<string, SumCell>, (cell) => finishCell(cell, agg)),
    ),
  );
  if (rest.length === 0) return groups;

  const other: Buckets = { total: copy(q.all.total as Accumulator), byBucket: new Map() };
  for (const [bucket, acc] of q.all.byBucket) other.byBucket.set(bucket, copy(acc));
  for (const r of top) subtractInto(other.total as Accumulator, totals.get(r.member) as Accumulator);
  for (const cells of tops.values()) {
    for (const [bucket, cell] of cells) subtractInto(other.byBucket.get(bucket) as Accumulator, cell);
  }
  // A bucket only the top members have points in is no bucket of "other".
  for (const [bucket, acc] of other.byBucket) if (acc.count === 0) other.byBucket.delete(bucket);
  groups.push(group(null, true, rest.length, other.total as Accumulator, agg, points(other, agg)));
  return groups;
}
