import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../engine/types.ts';

// Length: a migration's up() is one list of DDL statements, read top to bottom.

// The durable job queue lives in the same database as the data it changes: accepting an
// async request writes the job and its payload in one transaction, and a job's write and
// its completion can commit together (see src/jobs/queue.ts).

export function jobs(types: ColumnTypes): Migration {
  const id = types.idType;
  const ts = types.timestampType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('org_id', id, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('internal', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('run_after', ts, (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', ts)
        .addColumn('ordering_key', 'text')
        .addColumn('idempotency_key', 'text')
        .addColumn('request_hash', 'text')
        .addColumn('payload_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('applied', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('errors', 'text')
        .addColumn('result', 'text')
        .addColumn('progress', 'text')
        .addColumn('meta', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('started_at', ts)
        .addColumn('finished_at', ts)
        .addColumn('created_by', 'text')
        .execute();
      // Claiming scans unfinished jobs by status and due time.
      await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_after']).execute();
      // "Is an earlier job with my ordering key unfinished?"
      await db.schema
        .createIndex('jobs_ordering')
        .on('jobs')
        .columns(['org_id', 'ordering_key', 'status'])
        .execute();
      await db.schema.createIndex('jobs_org').on('jobs').columns(['org_id', 'internal', 'id']).execute();
      // NULLs are distinct in a unique index on both engines: jobs without a key never collide.
      await db.schema
        .createIndex('jobs_idempotency')
        .unique()
        .on('jobs')
        .columns(['org_id', 'idempotency_key'])
        .execute();
      await db.schema
        .createTable('job_payload_chunks')
        .addColumn('job_id', id, (c) => c.notNull().references('jobs.id').onDelete('cascade'))
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('data', types.blobType, (c) => c.notNull())
        .addPrimaryKeyConstraint('job_payload_chunks_pk', ['job_id', 'seq'])
        .execute();
      await db.schema
        .createTable('webhooks')
        .addColumn('org_id', id, (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('created_by', 'text')
        .execute();
    },
  };
}
