import type { Generated, Kysely, Migration } from 'kysely';
import type { Capabilities } from '../capabilities.ts';

// Data points and their revisions. A point's identity is (metric, period, coordinates):
// `coord_key` is the canonical text of the coordinates ('' when the metric has no
// dimensions), so one unique index enforces it on both engines. A deleted point keeps its
// row (deleted_at set) so its id and history stay stable and `as_of` reads can join it.

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

export function points(caps: Capabilities): Migration {
  const id = caps.idType;
  const ts = caps.timestampType;
  const date = caps.dateType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('data_points')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('metric_id', id, (c) => c.notNull().references('metrics.id').onDelete('cascade'))
        .addColumn('period_start', date, (c) => c.notNull())
        .addColumn('period_end', date, (c) => c.notNull())
        .addColumn('coord_key', 'text', (c) => c.notNull())
        .addColumn('coordinates', 'text')
        .addColumn('value', 'text')
        .addColumn('notes', 'text')
        .addColumn('status', 'text')
        .addColumn('data_source', 'text')
        .addColumn('task', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('updated_by', 'text')
        .addColumn('deleted_at', ts)
        .execute();
      await db.schema
        .createIndex('data_points_identity')
        .unique()
        .on('data_points')
        .columns(['metric_id', 'period_start', 'period_end', 'coord_key'])
        .execute();
      await db.schema
        .createTable('point_revisions')
        .addColumn('id', caps.serialType, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull())
        // No foreign key: checking one on every revision cost ~15% of a write. Points are
        // never deleted (a delete keeps the row); revisions go with their metric in
        // deleteMetric / deleteDataset.
        .addColumn('point_id', id, (c) => c.notNull())
        .addColumn('metric_id', id, (c) => c.notNull())
        .addColumn('op', 'text', (c) => c.notNull())
        .addColumn('old_value', 'text')
        .addColumn('new_value', 'text')
        .addColumn('actor', 'text')
        .addColumn('request_id', 'text')
        .addColumn('job_id', 'text')
        .addColumn('changed_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('point_revisions_point')
        .on('point_revisions')
        .columns(['point_id', 'id'])
        .execute();
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('response_body', 'text')
        .addColumn('response_type', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['org_id', 'key'])
        .execute();
    },
  };
}
