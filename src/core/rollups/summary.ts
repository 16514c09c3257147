import Big from 'big.js';
import { NotFound } from '../errors.ts';
import type { Frequency, ValueType } from '../limits.ts';
import { type Metric, withDimensions } from '../metrics.ts';
import { decodeCursor, toPage } from '../paging.ts';
import { bucketStart, type Granularity, monthsBefore, previousBucket } from '../periods.ts';
import type { Storage } from '../ports/index.ts';
import { isNumericType } from '../values.ts';
import {
  type Accumulator,
  type Aggregate,
  columnsFor,
  copy,
  finish,
  fromRecord,
  mergeInto,
} from './accumulator.ts';
import { refreshMarks } from './refresh.ts';

// One call for a page of KPI cards: for every metric of a dataset, its latest value at its
// own frequency, the period before, the change, a sparkline and its last change. Read from
// the rollups: per metric, the latest few day or month rows by index.

export interface SummaryPeriod {
  period_start: string;
  value: string | null;
}

export interface MetricSummary {
  metric_id: string;
  name: string;
  unit: string | null;
  value_type: string;
  granularity: Granularity;
  agg: Aggregate;
  latest: { period_start: string; value: string; count: number } | null;
  previous: { period_start: string; value: string | null } | null;
  change: { absolute: string; percent: string | null } | null;
  sparkline: SummaryPeriod[];
  last_write_at: string | null;
  last_write_by: string | null;
}

export interface SummaryQuery {
  /** Sparkline length, in the metric's periods. */
  periods: number;
  /** One aggregate for every metric; by default each metric's own (see defaultAggregate). */
  agg?: Aggregate;
  cursor?: string;
  limit: number;
}

const BY_FREQUENCY: Record<Frequency, Granularity> = {
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
  quarterly: 'quarter',
  yearly: 'year',
};

/**
 * What a card shows by default: a percentage's average (percentages do not add up), the
 * sum of any other number (over the metric's coordinates and the days of its period), the
 * last value of anything else.
 */
export function defaultAggregate(valueType: string): Aggregate {
  if (valueType === 'percentage') return 'avg';
  return isNumericType(valueType as ValueType) ? 'sum' : 'last';
}

// Rows of the level a granularity is read from that one bucket can hold, at most.
const ROWS_PER_BUCKET: Record<Granularity, number> = { day: 1, week: 7, month: 1, quarter: 3, year: 12 };

const percent = (change: Big, base: Big) => change.div(base.abs()).times(100).round(2).toFixed();

async function summarize(
  reader: Storage,
  metric: Metric,
  q: SummaryQuery,
): Promise<Omit<MetricSummary, 'last_write_at' | 'last_write_by'>> {
  const granularity = BY_FREQUENCY[metric.frequency ?? 'monthly'];
  const numeric = isNumericType(metric.value_type as ValueType);
  let agg = q.agg ?? defaultAggregate(metric.value_type);
  if (!numeric && agg !== 'count' && agg !== 'first' && agg !== 'last') agg = 'last';
  // The latest rows enough to fill the sparkline's periods and the one before them.
  const level = granularity === 'day' || granularity === 'week' ? 'day' : 'month';
  const rows = await reader.latestRollups(
    metric.org_id,
    metric.id,
    level,
    columnsFor(agg),
    (q.periods + 1) * ROWS_PER_BUCKET[granularity],
  );
  const buckets = new Map<string, Accumulator>();
  for (const r of rows) {
    const b = bucketStart(r.bucket, granularity);
    const at = buckets.get(b);
    if (at) mergeInto(at, fromRecord(r, agg));
    else buckets.set(b, copy(fromRecord(r, agg)));
  }
  const base = {
    metric_id: metric.id,
    name: metric.name,
    unit: metric.unit,
    value_type: metric.value_type,
    granularity,
    agg,
  };
  if (buckets.size === 0) return { ...base, latest: null, previous: null, change: null, sparkline: [] };
  const latestStart = [...buckets.keys()].sort().at(-1) as string;
  const value = (b: string) => {
    const acc = buckets.get(b);
    return acc ? finish(acc, agg) : null;
  };
  const sparkline: SummaryPeriod[] = [];
  for (let b = latestStart, i = 0; i < q.periods; i++, b = previousBucket(b, granularity)) {
    sparkline.unshift({ period_start: b, value: value(b) });
  }
  const latest = {
    period_start: latestStart,
    value: value(latestStart) as string,
    count: (buckets.get(latestStart) as Accumulator).count,
  };
  const previousStart = previousBucket(latestStart, granularity);
  const previous = { period_start: previousStart, value: value(previousStart) };
  // A change needs numbers on both sides (a count is one; the last word of a text metric is not).
  let change: MetricSummary['change'] = null;
  if (previous.value !== null && (numeric || agg === 'count')) {
    const before = new Big(previous.value);
    const diff = new Big(latest.value).minus(before);
    change = { absolute: diff.toFixed(), percent: before.eq(0) ? null : percent(diff, before) };
  }
  return { ...base, latest, previous, change, sparkline };
}

/** Months a card's periods (and the one before) can reach back from the latest month. */
function windowMonths(g: Granularity, periods: number): number {
  const months = { day: (periods + 1) / 28 + 1, week: (7 * (periods + 1)) / 28 + 1, month: periods + 1 };
  if (g === 'quarter') return 3 * (periods + 1) + 2;
  if (g === 'year') return 12 * (periods + 1) + 11;
  return Math.ceil(months[g]);
}

/**
 * Brings the months a card shows up to date, not the metric's whole history (after a bulk
 * load that is most of the catch-up): the window ends at the latest month, marked or not;
 * if refreshing moved it (the latest month's points were deleted), once more.
 */
async function refreshWindow(
  storage: Storage,
  reader: Storage,
  metric: Metric,
  lastMarked: string,
  periods: number,
) {
  const granularity = BY_FREQUENCY[metric.frequency ?? 'monthly'];
  for (let round = 0; round < 3; round++) {
    const [computed] = await reader.latestRollups(metric.org_id, metric.id, 'month', [], 1);
    const latest = computed && computed.bucket > lastMarked ? computed.bucket : lastMarked;
    const since = monthsBefore(latest, windowMonths(granularity, periods));
    const due = await storage.rollupMarks(metric.org_id, [metric.id], { since });
    if (due.length === 0) return;
    await refreshMarks(storage, due);
    const [next] = await storage.latestRollupMarks(metric.org_id, [metric.id]);
    if (!next) return;
    lastMarked = next.month;
  }
}

/** Cards for one page of a dataset's metrics (in id order, the cursor's). */
export async function datasetSummary(
  storage: Storage,
  reader: Storage,
  orgId: string,
  datasetId: string,
  q: SummaryQuery,
): Promise<{ dataset_id: string; items: MetricSummary[]; next_cursor: string | null }> {
  if (!(await reader.findDataset(orgId, datasetId))) throw new NotFound('dataset');
  const rows = await reader.listMetrics(orgId, {
    datasetIds: [datasetId],
    after: decodeCursor(q.cursor),
    limit: q.limit + 1,
  });
  const page = toPage(rows, q.limit);
  const metrics = await withDimensions(reader, page.items);
  const ids = metrics.map((m) => m.id);
  const marked = new Map((await storage.latestRollupMarks(orgId, ids)).map((m) => [m.metric_id, m.month]));
  for (const m of metrics) {
    const lastMarked = marked.get(m.id);
    if (lastMarked) await refreshWindow(storage, reader, m, lastMarked, q.periods);
  }
  const [cards, activity] = await Promise.all([
    Promise.all(metrics.map((m) => summarize(reader, m, q))),
    reader.metricActivity(orgId, ids),
  ]);
  const byMetric = new Map(activity.map((a) => [a.metric_id, a]));
  return {
    dataset_id: datasetId,
    items: cards.map((c) => ({
      ...c,
      last_write_at: byMetric.get(c.metric_id)?.last_write_at ?? null,
      last_write_by: byMetric.get(c.metric_id)?.last_write_by ?? null,
    })),
    next_cursor: page.next_cursor,
  };
}
