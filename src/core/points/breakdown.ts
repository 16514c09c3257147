import type Big from 'big.js';
import type { Metric } from '../metrics.ts';
import type { Storage } from '../ports/index.ts';
import {
  type Accumulator,
  type Aggregate,
  copy,
  finish,
  mergeInto,
  rank,
  subtractInto,
} from '../rollups/accumulator.ts';
import { rangeTotals, seriesItems } from '../rollups/series-sources.ts';
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

/** Puts `acc` in its bucket only (the total comes from elsewhere); `acc` becomes the bucket's own. */
function addToBucket(b: Buckets, bucket: string, acc: Accumulator) {
  const at = b.byBucket.get(bucket);
  if (at) mergeInto(at, acc);
  else b.byBucket.set(bucket, acc);
}

export function points(b: Buckets, agg: Aggregate): SeriesPoint[] {
  return [...b.byBucket.entries()]
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([period_start, acc]) => ({ period_start, value: finish(acc, agg), count: acc.count }));
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

function group(member: string | null, other: boolean, n: number, b: Buckets, agg: Aggregate): SeriesGroup {
  return {
    member,
    other,
    members: n,
    value: finish(b.total as Accumulator, agg),
    count: (b.total as Accumulator).count,
    points: points(b, agg),
  };
}

/** The top members (every member's series already built), then the rest merged as "other". */
export function breakdown(members: Map<string | null, Buckets>, agg: Aggregate, top: number): SeriesGroup[] {
  const order = ranked(members, (b) => b.total as Accumulator, agg);
  const out = order.slice(0, top).map((r) => group(r.member, false, 1, r.t, agg));
  const rest = order.slice(top);
  if (rest.length > 0) {
    const other = emptyBuckets();
    for (const r of rest) for (const [bucket, acc] of r.t.byBucket) add(other, bucket, acc);
    out.push(group(null, true, rest.length, other, agg));
  }
  return out;
}

/** The aggregates whose "other" is the whole less the top members (count and sum subtract). */
export const SUBTRACTABLE = new Set<Aggregate>(['sum', 'avg', 'count']);

/**
 * A breakdown without a filter, by month, quarter or year, of a SUBTRACTABLE aggregate, built
 * from as few rows as it can: members are ranked from a row per member and year (coord_year;
 * months and days at the range's cut ends), only the top N members' rows are read by bucket,
 * and "other" is the whole (`all`, from the all-coordinates rows) less the top N. Each
 * member's total is its ranking total, so a member's rows only fill its buckets: a bucket
 * that is one row (by month) keeps the row's stored text and is never parsed. (For min, max,
 * first and last "other" needs every other member's rows: the ranking would only add a
 * read.) A property test holds the answers equal to the points'.
 */
export async function rankedBreakdown(
  reader: Storage,
  metric: Metric,
  agg: Aggregate,
  numeric: boolean,
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

  const seriesOf = async (members: (string | null)[]) => {
    const out = new Map<string | null, Buckets>(members.map((m) => [m, emptyBuckets()]));
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
    for await (const batch of seriesItems(reader, metric, agg, numeric, source)) {
      for (const item of batch) {
        addToBucket(
          out.get(memberOf(item.coordKey, item.coordinates)) as Buckets,
          q.bucketOf(item.date),
          item.acc,
        );
      }
    }
    for (const [m, b] of out) b.total = totals.get(m) ?? null;
    return out;
  };
  const tops = await seriesOf(top.map((r) => r.member));
  const groups = top.map((r) => group(r.member, false, 1, tops.get(r.member) as Buckets, agg));
  if (rest.length === 0) return groups;

  const other: Buckets = { total: copy(q.all.total as Accumulator), byBucket: new Map() };
  for (const [bucket, acc] of q.all.byBucket) other.byBucket.set(bucket, copy(acc));
  for (const b of tops.values()) {
    subtractInto(other.total as Accumulator, b.total as Accumulator);
    for (const [bucket, acc] of b.byBucket) subtractInto(other.byBucket.get(bucket) as Accumulator, acc);
  }
  // A bucket only the top members have points in is no bucket of "other".
  for (const [bucket, acc] of other.byBucket) if (acc.count === 0) other.byBucket.delete(bucket);
  groups.push(group(null, true, rest.length, other, agg));
  return groups;
}
