import type { Granularity } from '../periods.ts';
import type { Aggregate } from '../rollups/accumulator.ts';

// What a series read answers (the native API's Series schema mirrors it).

export interface SeriesPoint {
  period_start: string;
  value: string;
  count: number;
}

/** One member's series in a breakdown, or (other: true) the members past the top N together. */
export interface SeriesGroup {
  member: string | null;
  other: boolean;
  /** How many members this series covers (1, or those folded into "other"). */
  members: number;
  /** The aggregate over the whole range: what the members are ranked by. */
  value: string;
  count: number;
  points: SeriesPoint[];
}

export interface Series {
  granularity: Granularity;
  agg: Aggregate;
  points: SeriesPoint[];
  group_by?: string;
  groups?: SeriesGroup[];
}
