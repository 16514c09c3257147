import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../engine/types.ts';

// Length: a migration's up() is one list of DDL statements, read top to bottom.

// Every table carries org_id: it is the filter of every query and the natural distribution
// key for Citus-style sharding. Booleans are 0/1 integers and JSON is text on both engines,
// so one mapping reads both.

export function foundation(types: ColumnTypes): Migration {
  const ts = types.timestampType;
  const id = types.idType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('organizations')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('lookup', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('last_used_at', ts)
        .addColumn('revoked_at', ts)
        .execute();
      await db.schema.createIndex('api_keys_org').on('api_keys').columns(['org_id', 'id']).execute();
      await db.schema.createIndex('api_keys_lookup').on('api_keys').column('lookup').execute();
      await db.schema
        .createTable('datasets')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('updated_by', 'text')
        .execute();
      await db.schema.createIndex('datasets_org').on('datasets').columns(['org_id', 'id']).execute();
      await db.schema
        .createTable('metrics')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('dataset_id', id, (c) => c.references('datasets.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('unit', 'text')
        .addColumn('value_type', 'text', (c) => c.notNull())
        .addColumn('frequency', 'text')
        .addColumn('required', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('external_id', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('updated_by', 'text')
        .execute();
      await db.schema.createIndex('metrics_org').on('metrics').columns(['org_id', 'id']).execute();
      await db.schema
        .createIndex('metrics_dataset')
        .on('metrics')
        .columns(['dataset_id', 'sort_order'])
        .execute();
      // NULLs are distinct in a unique index on both engines, so metrics without an
      // external id never collide.
      await db.schema
        .createIndex('metrics_external_id')
        .unique()
        .on('metrics')
        .columns(['org_id', 'external_id'])
        .execute();
      await db.schema
        .createTable('dimensions')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('metric_id', id, (c) => c.notNull().references('metrics.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('dimensions_metric')
        .on('dimensions')
        .columns(['metric_id', 'position'])
        .execute();
    },
  };
}
