import Big from 'big.js';
import { Invalid } from '../errors.ts';
import { bucketStart, type Granularity } from '../periods.ts';
import type { Storage } from '../ports/index.ts';
import { isNumericType } from '../values.ts';
import { pointMetric } from './metric-cache.ts';
import { type PointQuery, readAllPoints } from './read.ts';

export const AGGREGATES = ['sum', 'avg', 'min', 'max', 'last', 'count'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export interface SeriesPoint {
  period_start: string;
  value: string;
  count: number;
}

// Division keeps this many decimal places, then trailing zeros go: avg(1, 2) is "1.5".
const AVG_DP = 20;

/**
 * A metric's values rolled up by calendar bucket with exact decimal arithmetic (big.js):
 * a point belongs to the bucket its period starts in.
 */
export async function series(
  storage: Storage,
  orgId: string,
  metricId: string,
  granularity: Granularity,
  agg: Aggregate,
  q: Omit<PointQuery, 'cursor' | 'limit'>,
): Promise<{ granularity: Granularity; agg: Aggregate; points: SeriesPoint[] }> {
  const metric = await pointMetric(storage, orgId, metricId);
  if (agg !== 'count' && !isNumericType(metric.value_type)) {
    throw Invalid.field('agg', `only count works on a ${metric.value_type} metric`);
  }
  const points = (await readAllPoints(storage, orgId, metricId, q)).filter((p) => p.value !== null);
  // By period (start, then end): `last` is the value of the period that ends last.
  const order = (p: { period_start: string; period_end: string }) => `${p.period_start}/${p.period_end}`;
  points.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  const buckets = new Map<string, string[]>();
  for (const p of points) {
    const key = bucketStart(p.period_start, granularity);
    const list = buckets.get(key);
    if (list) list.push(p.value as string);
    else buckets.set(key, [p.value as string]);
  }
  const out: SeriesPoint[] = [];
  for (const [period_start, values] of [...buckets.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push({ period_start, value: aggregate(agg, values), count: values.length });
  }
  return { granularity, agg, points: out };
}

export function aggregate(agg: Aggregate, values: string[]): string {
  if (agg === 'count') return String(values.length);
  if (agg === 'last') return values[values.length - 1];
  const nums = values.map((v) => new Big(v));
  switch (agg) {
    case 'sum':
      return nums.reduce((a, b) => a.plus(b), new Big(0)).toFixed();
    case 'avg':
      return new Big(
        nums
          .reduce((a, b) => a.plus(b), new Big(0))
          .div(nums.length)
          .toFixed(AVG_DP),
      ).toFixed();
    case 'min':
      return nums.reduce((a, b) => (b.lt(a) ? b : a)).toFixed();
    case 'max':
      return nums.reduce((a, b) => (b.gt(a) ? b : a)).toFixed();
  }
}
