import type { PointRecord } from '../points/point-record.ts';
import type {
  MetricActivity,
  RollupCoordinates,
  RollupLevel,
  RollupMark,
  RollupRecord,
  RollupSlice,
  RollupValueColumn,
} from '../rollups/rollup-record.ts';

/** What a rollup read asks for: one level of one metric, a bucket range, coordinate pairs. */
export interface RollupFilter {
  level: RollupLevel;
  /** Buckets from this first day on ('YYYY-MM-DD'), inclusive. */
  from?: string;
  /** Buckets up to this first day, inclusive. */
  to?: string;
  /** Only these coordinates keys (the coord_ levels); '' alone when absent. */
  coordKeys?: string[];
  /** The value columns to read (bucket, coord_key and count always come). */
  columns: RollupValueColumn[];
}

// Storage operations for rollups and the marks that say which months must be recomputed.
export interface RollupPorts {
  /** Marks of these metrics, by metric and month; only months in [since, until] when given. */
  rollupMarks(
    orgId: string,
    metricIds: string[],
    range?: { since?: string; until?: string },
  ): Promise<RollupMark[]>;
  /** The latest marked month of each of these metrics that has one. */
  latestRollupMarks(orgId: string, metricIds: string[]): Promise<{ metric_id: string; month: string }[]>;
  /** Marks of any metric last touched before `quietBefore`, at most `limit`. */
  quietRollupMarks(quietBefore: string, limit: number): Promise<RollupMark[]>;
  /** Marks every month a metric has rollups for (its values changed meaning). Only within `transaction`. */
  markMetricRollups(orgId: string, metricId: string, markedAt: string): Promise<void>;
  /** Every point of a metric whose period starts in [from, to], deleted ones included. */
  monthPoints(orgId: string, metricId: string, from: string, to: string): Promise<PointRecord[]>;
  /** Records a metric's latest change unless a later one is recorded. Only within `transaction`. */
  noteMetricActivity(activity: MetricActivity): Promise<void>;
  metricActivity(orgId: string, metricIds: string[]): Promise<MetricActivity[]>;
  /** The latest `limit` rows of one all-coordinates level of a metric, latest first. */
  latestRollups(
    orgId: string,
    metricId: string,
    level: 'day' | 'month',
    columns: RollupValueColumn[],
    limit: number,
  ): Promise<RollupSlice[]>;
  /**
   * Makes the rollup rows of some months of a metric (all levels) these, and records the
   * coordinates keys seen. Only within `transaction`.
   */
  replaceMonthRollups(
    orgId: string,
    metricId: string,
    months: string[],
    rows: RollupRecord[],
    coordinates: RollupCoordinates[],
  ): Promise<void>;
  /** Makes the coord_year rows of these years ('YYYY-01-01') of a metric these. Only within `transaction`. */
  replaceYearRollups(orgId: string, metricId: string, years: string[], rows: RollupRecord[]): Promise<void>;
  /** Clears each mark unless a write has bumped it since it was read. Only within `transaction`. */
  clearRollupMarks(marks: RollupMark[]): Promise<void>;
  /** Rows of one level, by bucket. */
  readRollups(orgId: string, metricId: string, f: RollupFilter): Promise<RollupSlice[]>;
  /** Every coordinates key the metric has had rollups for. */
  rollupCoordinates(orgId: string, metricId: string): Promise<RollupCoordinates[]>;
}
