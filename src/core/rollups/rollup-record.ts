// Rollups as storage holds them: per metric, the aggregates of its current values by
// bucket, kept exact (sums as decimal text) and never stale (see refresh.ts).

/**
 * - `day` / `month`: all coordinates, one row per day a period starts on / per month;
 * - `coord_day` / `coord_month`: the same per coordinates (filters and breakdowns);
 * - `coord_year`: per coordinates and year, merged from the coord_month rows: a breakdown
 *   ranks its members over a long range from a row per member and year, not per month.
 * Weeks come from days, quarters and years from months, when read.
 */
export type RollupLevel = 'day' | 'month' | 'coord_day' | 'coord_month' | 'coord_year';

/** The columns a read of rollups may ask for besides bucket, coordinates key and count. */
export type RollupValueColumn =
  | 'sum'
  | 'min'
  | 'max'
  | 'first_key'
  | 'first_value'
  | 'last_key'
  | 'last_value';

/** Part of a rollup row, as a read asks for it. */
export type RollupSlice = Pick<RollupRecord, 'bucket' | 'coord_key' | 'count'> &
  Partial<Pick<RollupRecord, RollupValueColumn>>;

/** A coordinates key a metric has rollups for, and the coordinates it stands for (JSON text). */
export interface RollupCoordinates {
  metric_id: string;
  org_id: string;
  coord_key: string;
  coordinates: string | null;
}

export interface RollupRecord {
  metric_id: string;
  org_id: string;
  level: RollupLevel;
  /** The first day of the bucket, 'YYYY-MM-DD'. */
  bucket: string;
  /** The coordinates' key on the coord_ levels; '' on the all-coordinates levels. */
  coord_key: string;
  count: number;
  /** Exact decimal text; null on a metric whose values are no numbers. */
  sum: string | null;
  min: string | null;
  max: string | null;
  /** The value that comes first / last in (period_start, period_end, coord_key) order, and that key. */
  first_key: string;
  first_value: string;
  last_key: string;
  last_value: string;
}

/** A (metric, month) whose rollups must be recomputed before they are read. */
export interface RollupMark {
  metric_id: string;
  org_id: string;
  /** The first day of the month. */
  month: string;
  /** A new id at every write to the month, so a refresh only clears what it has seen. */
  version: string;
  marked_at: string;
}

/** When a metric's points last changed (the latest updated_at of any of them) and by whom. */
export interface MetricActivity {
  metric_id: string;
  org_id: string;
  last_write_at: string;
  last_write_by: string | null;
}
