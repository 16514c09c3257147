import type {
  MetricActivity,
  RollupCoordinates,
  RollupMark,
  RollupRecord,
} from '../../core/rollups/rollup-record.ts';

// The rollup tables as Kysely sees them; their columns are created by
// migrations/0005-rollups.ts and their rows declared in core.

export interface RollupTables {
  point_rollups: RollupRecord;
  rollup_marks: RollupMark;
  rollup_coordinates: RollupCoordinates;
  metric_activity: MetricActivity;
}
