import type { ColumnKind } from './engine/types.ts';
import type { DB } from './schema.ts';

// The columns of data points and their revisions as the bulk writers send them, and what each
// holds (engines that send a column as one typed array need it): store/points.ts writes them,
// and PostgreSQL's staging (engine/postgres-staging.ts) stages a new point's row in the same
// columns.

export type PointRow = DB['data_points'];
export type RevisionRow = Omit<DB['point_revisions'], 'id'>;

export const POINT_COLUMNS = [
  'id',
  'org_id',
  'metric_id',
  'period_start',
  'period_end',
  'coord_key',
  'coordinates',
  'value',
  'notes',
  'status',
  'data_source',
  'task',
  'created_at',
  'updated_at',
  'created_by',
  'updated_by',
  'deleted_at',
] as const satisfies readonly (keyof PointRow)[];

export const REVISION_COLUMNS = [
  'org_id',
  'point_id',
  'metric_id',
  'op',
  'old_value',
  'new_value',
  'actor',
  'request_id',
  'job_id',
  'changed_at',
] as const satisfies readonly (keyof RevisionRow)[];

// Columns an upsert overwrites; id, org_id, created_* and the identity stay as first written.
export const UPDATABLE = [
  'value',
  'notes',
  'status',
  'data_source',
  'task',
  'updated_at',
  'updated_by',
  'deleted_at',
] as const;

// What each column holds (engines that send a column as one typed array need it).
export const COLUMN_KINDS: Record<
  (typeof POINT_COLUMNS)[number] | (typeof REVISION_COLUMNS)[number],
  ColumnKind
> = {
  id: 'uuid',
  org_id: 'uuid',
  metric_id: 'uuid',
  point_id: 'uuid',
  period_start: 'date',
  period_end: 'date',
  coord_key: 'text',
  coordinates: 'text',
  value: 'text',
  notes: 'text',
  status: 'text',
  data_source: 'text',
  task: 'text',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  created_by: 'text',
  updated_by: 'text',
  deleted_at: 'timestamptz',
  op: 'text',
  old_value: 'text',
  new_value: 'text',
  actor: 'text',
  request_id: 'text',
  job_id: 'text',
  changed_at: 'timestamptz',
};
