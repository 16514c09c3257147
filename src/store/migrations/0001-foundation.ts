import type { Kysely, Migration } from 'kysely';
import type { Capabilities } from '../capabilities.ts';

// Every table carries org_id: it is the filter of every query and the natural distribution
// key for Citus-style sharding. Booleans are 0/1 integers and JSON is text on both engines,
// so one mapping reads both.

export interface FoundationTables {
  organizations: { id: string; name: string; created_at: string };
  api_keys: {
    id: string;
    org_id: string;
    name: string;
    /** SHA-256 of the secret, hex. The secret itself is never stored. */
    /** First 16 hex digits of the hash: the indexed lookup, before the constant-time compare. */
    lookup: string;
    secret_hash: string;
    scopes: string;
    created_at: string;
    last_used_at: string | null;
    revoked_at: string | null;
  };
  datasets: {
    id: string;
    org_id: string;
    name: string;
    description: string | null;
    created_at: string;
    updated_at: string;
    created_by: string | null;
    updated_by: string | null;
  };
  metrics: {
    id: string;
    org_id: string;
    dataset_id: string | null;
    name: string;
    description: string | null;
    unit: string | null;
    value_type: string;
    frequency: string | null;
    required: number;
    sort_order: number;
    external_id: string | null;
    created_at: string;
    updated_at: string;
    created_by: string | null;
    updated_by: string | null;
  };
  dimensions: { id: string; org_id: string; metric_id: string; name: string; position: number };
}

export function foundation(caps: Capabilities): Migration {
  const ts = caps.timestampType;
  const id = caps.idType;
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
