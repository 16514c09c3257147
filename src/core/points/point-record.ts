// A data point and its revisions as storage holds them (text columns: coordinates and
// data_source are JSON text, dates 'YYYY-MM-DD', instants ISO-8601 UTC). The writer works on
// these; answers convert them with toStoredPoint.

export interface PointRecord {
  id: string;
  org_id: string;
  metric_id: string;
  period_start: string;
  period_end: string;
  /** The coordinates as one comparable key ('' when the metric has no dimensions). */
  coord_key: string;
  coordinates: string | null;
  value: string | null;
  notes: string | null;
  status: string | null;
  data_source: string | null;
  task: string | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
  /** A deleted point keeps its row (its id and history stay). */
  deleted_at: string | null;
}

/** One change of a point, appended for every insert, update and delete. */
export interface RevisionRecord {
  org_id: string;
  point_id: string;
  metric_id: string;
  /** insert | update | delete */
  op: string;
  old_value: string | null;
  new_value: string | null;
  actor: string | null;
  request_id: string | null;
  job_id: string | null;
  changed_at: string;
}

/** A revision as read back: with the id that orders a point's history. */
export interface StoredRevision extends RevisionRecord {
  id: number;
}

/** What names a point within its metric. */
export interface IdentityKey {
  period_start: string;
  period_end: string;
  coord_key: string;
}

/** One metric's points: a period range, coordinate pairs, and a cursor page. */
export interface PointFilter {
  from?: string;
  to?: string;
  /** dimension id → member; a point matches when its coordinates have every pair. */
  coordinates?: Record<string, string>;
  /** Only ids after this one (the cursor). */
  after?: string;
  limit: number;
}

/** One metric's points in identity order, a page after a point's identity (an export's pages). */
export interface PointKeysetFilter {
  from?: string;
  to?: string;
  /** dimension id → member; a point matches when its coordinates have every pair. */
  coordinates?: Record<string, string>;
  /** Only points whose identity sorts after this one (before it, when descending). */
  after?: IdentityKey;
  /** Newest period first: the identity index read backwards. */
  descending?: boolean;
  limit: number;
}

/** A page of points in identity order, and the identity after which the next page starts (null: none). */
export interface KeysetPage {
  points: PointRecord[];
  next: IdentityKey | null;
}

/** Points of several metrics (page-numbered listings). */
export interface PointSetFilter {
  metricIds: string[];
  from?: string;
  to?: string;
  excludeBlank?: boolean;
}
