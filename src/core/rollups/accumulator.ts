import Big from 'big.js';
import { Invalid } from '../errors.ts';
import type { RollupRecord, RollupSlice, RollupValueColumn } from './rollup-record.ts';

// The aggregates of a set of values, mergeable: a rollup row is one, and a bucket of a
// series is the merge of the rows (or points) that fall in it. Sums are big.js, exact.

export const AGGREGATES = ['sum', 'avg', 'min', 'max', 'count', 'first', 'last'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** Division keeps this many decimal places (rounded half up), then trailing zeros go. */
export const AVG_DP = 20;

/**
 * An exact decimal: a Big, or the text a Big wrote (a rollup row's column as stored), parsed
 * only when it is computed with. A bucket of a series that is one rollup row (a month read
 * from month rows) is then answered with the stored text as it is: a breakdown of 100
 * members by month over 27 years reads 33,000 rows, and parsing each cost more than reading it.
 */
export type Decimal = Big | string;

const big = (d: Decimal): Big => (typeof d === 'string' ? new Big(d) : d);
const text = (d: Decimal): string => (typeof d === 'string' ? d : d.toFixed());

export interface Accumulator {
  count: number;
  /** Null when the values are no numbers (only count, first and last apply). */
  sum: Decimal | null;
  min: Decimal | null;
  max: Decimal | null;
  firstKey: string;
  firstValue: string;
  lastKey: string;
  lastValue: string;
}

/**
 * The order `first` and `last` follow: by period start, then end, then coordinates. A
 * fixed-width date prefix keeps it a plain text comparison.
 */
export function orderKey(p: { period_start: string; period_end: string; coord_key: string }): string {
  return `${p.period_start}/${p.period_end}/${p.coord_key}`;
}

export function single(key: string, value: string, numeric: boolean): Accumulator {
  const n = numeric ? decimal(value) : null;
  return {
    count: 1,
    sum: n,
    min: n,
    max: n,
    firstKey: key,
    firstValue: value,
    lastKey: key,
    lastValue: value,
  };
}

// A value stored before its metric became numeric may be no number: it counts, but the
// bucket then has no sum, min or max.
function decimal(value: string): Big | null {
  try {
    return new Big(value);
  } catch {
    return null;
  }
}

/** Adds `b` into `a` (a is changed and returned). */
export function mergeInto(a: Accumulator, b: Accumulator): Accumulator {
  a.count += b.count;
  if (a.sum !== null && b.sum !== null) a.sum = big(a.sum).plus(big(b.sum));
  else a.sum = null;
  if (a.min !== null && b.min !== null) {
    const bMin = big(b.min);
    a.min = bMin.lt(big(a.min)) ? bMin : big(a.min);
  } else a.min = null;
  if (a.max !== null && b.max !== null) {
    const bMax = big(b.max);
    a.max = bMax.gt(big(a.max)) ? bMax : big(a.max);
  } else a.max = null;
  if (b.firstKey < a.firstKey) {
    a.firstKey = b.firstKey;
    a.firstValue = b.firstValue;
  }
  if (b.lastKey > a.lastKey) {
    a.lastKey = b.lastKey;
    a.lastValue = b.lastValue;
  }
  return a;
}

export function copy(a: Accumulator): Accumulator {
  return { ...a };
}

/**
 * What count, sum and avg read of an accumulator. A rollup row read for one of them (its
 * `count` and `sum` columns) is one already: a breakdown of 33,000 rows keeps the rows as they
 * came instead of making an accumulator of each.
 */
export interface SumCell {
  count: number;
  sum?: Decimal | null;
}

/** The aggregates a SumCell answers. */
export type SumAggregate = 'sum' | 'avg' | 'count';

/** Adds `b`'s count and sum into `a` (a is changed). */
export function addCell(a: SumCell, b: SumCell): void {
  a.count += b.count;
  a.sum = a.sum != null && b.sum != null ? big(a.sum).plus(big(b.sum)) : null;
}

/** count, sum or avg of a cell, as `finish` gives them. */
export function finishCell(cell: SumCell, agg: SumAggregate): string {
  switch (agg) {
    case 'count':
      return String(cell.count);
    case 'avg':
      return new Big(
        big(numbers(cell.sum ?? null))
          .div(cell.count)
          .toFixed(AVG_DP),
      ).toFixed();
    case 'sum':
      return text(numbers(cell.sum ?? null));
  }
}

/** The aggregate's value as exact decimal text (count as an integer). */
export function finish(acc: Accumulator, agg: Aggregate): string {
  switch (agg) {
    case 'count':
    case 'avg':
    case 'sum':
      return finishCell(acc, agg);
    case 'first':
      return acc.firstValue;
    case 'last':
      return acc.lastValue;
    case 'min':
      return text(numbers(acc.min));
    case 'max':
      return text(numbers(acc.max));
  }
}

function numbers(n: Decimal | null): Decimal {
  if (!n)
    throw Invalid.field(
      'agg',
      'the metric holds values that are no numbers; only count, first and last apply',
    );
  return n;
}

/** The number an aggregate ranks by (for top-N breakdowns): the count when it is no number. */
export function rank(acc: Accumulator, agg: Aggregate): Big {
  if (agg === 'count') return new Big(acc.count);
  try {
    return new Big(finish(acc, agg));
  } catch {
    return new Big(acc.count); // first or last of a text metric
  }
}

/**
 * A rollup row's aggregates: only the numbers `agg` needs, as their stored text (parsed if
 * they are merged or divided; a breakdown reads thousands of rows).
 */
export function fromRecord(r: RollupSlice, agg: Aggregate): Accumulator {
  const parse = (v: string | null, wanted: boolean) => (wanted && v !== null ? v : null);
  return {
    count: Number(r.count),
    sum: parse(r.sum ?? null, agg === 'sum' || agg === 'avg'),
    min: parse(r.min ?? null, agg === 'min'),
    max: parse(r.max ?? null, agg === 'max'),
    firstKey: r.first_key ?? '',
    firstValue: r.first_value ?? '',
    lastKey: r.last_key ?? '',
    lastValue: r.last_value ?? '',
  };
}

/** A whole rollup row's aggregates, every number parsed (rows merged into coarser rows). */
export function fromWholeRecord(r: RollupSlice): Accumulator {
  const parse = (v: string | null | undefined) => (v === null || v === undefined ? null : new Big(v));
  return {
    count: Number(r.count),
    sum: parse(r.sum),
    min: parse(r.min),
    max: parse(r.max),
    firstKey: r.first_key ?? '',
    firstValue: r.first_value ?? '',
    lastKey: r.last_key ?? '',
    lastValue: r.last_value ?? '',
  };
}

/**
 * Takes `b`'s count and sum out of `a` (a is changed and returned): what is left of a whole
 * once some of its parts are known. Only count, sum and avg read the result.
 */
export function subtractInto(a: Accumulator, b: SumCell): Accumulator {
  a.count -= b.count;
  a.sum = a.sum !== null && b.sum != null ? big(a.sum).minus(big(b.sum)) : null;
  return a;
}

/** The value columns a read of rollups needs for `agg`. */
export function columnsFor(agg: Aggregate): RollupValueColumn[] {
  switch (agg) {
    case 'sum':
    case 'avg':
      return ['sum'];
    case 'min':
      return ['min'];
    case 'max':
      return ['max'];
    case 'first':
      return ['first_key', 'first_value'];
    case 'last':
      return ['last_key', 'last_value'];
    case 'count':
      return [];
  }
}

export function toRecordFields(
  a: Accumulator,
): Pick<
  RollupRecord,
  'count' | 'sum' | 'min' | 'max' | 'first_key' | 'first_value' | 'last_key' | 'last_value'
> {
  return {
    count: a.count,
    sum: a.sum === null ? null : text(a.sum),
    min: a.min === null ? null : text(a.min),
    max: a.max === null ? null : text(a.max),
    first_key: a.firstKey,
    first_value: a.firstValue,
    last_key: a.lastKey,
    last_value: a.lastValue,
  };
}
