import type { Generated } from 'kysely';

// The points tables as Kysely sees them (rows as the store reads and writes them);
// their columns are created by migrations/0002-points.ts.

export interface PointTables {
  data_points: {
    id: string;
    org_id: string;
    metric_id: string;
    period_start: string;
    period_end: string;
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
    deleted_at: string | null;
  };
  point_revisions: {
    id: Generated<number>;
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
  };
  idempotency_keys: {
    org_id: string;
    key: string;
    request_hash: string;
    /** processing | done */
    state: string;
    status_code: number | null;
    response_body: string | null;
    response_type: string | null;
    created_at: string;
    expires_at: string;
  };
}

/** A point's identity within its metric. */
export interface IdentityKey {
  period_start: string;
  period_end: string;
  coord_key: string;
}
