import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../engine/types.ts';

// Length: a migration's up() is one list of DDL statements, read top to bottom.

// Data points and their revisions. A point's identity is (metric, period, coordinates):
// `coord_key` is the canonical text of the coordinates ('' when the metric has no
// dimensions), so one unique index enforces it on both engines. A deleted point keeps its
// row (deleted_at set) so its id and history stay stable and `as_of` reads can join it.

export function points(types: ColumnTypes): Migration {
  const id = types.idType;
  const ts = types.timestampType;
  const date = types.dateType;
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
        .addColumn('id', types.serialType, (c) => c.primaryKey())
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
