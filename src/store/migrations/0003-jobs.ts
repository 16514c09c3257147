import type { Kysely, Migration } from 'kysely';
import type { Capabilities } from '../capabilities.ts';

// The durable job queue lives in the same database as the data it changes: accepting an
// async request writes the job and its payload in one transaction, and a job's write and
// its completion can commit together (see src/jobs/queue.ts).

export interface JobTables {
  jobs: {
    id: string;
    org_id: string;
    /** Which handler runs it, e.g. `workiva.batchUpsertion`. */
    kind: string;
    /** queued | running | completed | failed */
    status: string;
    /** 1 for the queue's own jobs (webhook deliveries), which imports listings leave out. */
    internal: number;
    attempts: number;
    max_attempts: number;
    /** Not claimable before this time (retry backoff). */
    run_after: string;
    /** `<worker id>/<claim token>` of the worker holding the lease. */
    lease_owner: string | null;
    lease_expires_at: string | null;
    /** Jobs with the same key run one at a time, in id (acceptance) order. */
    ordering_key: string | null;
    idempotency_key: string | null;
    /** SHA-256 of the request (kind, request key, payload): tells a replay from a reuse of the key. */
    request_hash: string | null;
    payload_bytes: number;
    received: number;
    applied: number;
    rejected: number;
    /** JSON FieldIssue[] of a failed job. */
    errors: string | null;
    /** JSON, set by the handler when the job completes. */
    result: string | null;
    /** JSON progress counters reported while running. */
    progress: string | null;
    /** JSON: the accepting request (actor, request id) and whatever the handler needs. */
    meta: string;
    /** The last infrastructure error, kept while the job waits for its retry. */
    last_error: string | null;
    created_at: string;
    updated_at: string;
    started_at: string | null;
    finished_at: string | null;
    created_by: string | null;
  };
  /** A job's payload in ~1 MB pieces, so files of hundreds of MB never sit whole in memory. */
  job_payload_chunks: {
    job_id: string;
    org_id: string;
    seq: number;
    data: Buffer;
  };
  /** One optional webhook per organization, called when one of its jobs ends. */
  webhooks: {
    org_id: string;
    url: string;
    /** The HMAC key; kept as is because signing needs it (shown once, when set). */
    secret: string;
    created_at: string;
    updated_at: string;
    created_by: string | null;
  };
}

export function jobs(caps: Capabilities): Migration {
  const id = caps.idType;
  const ts = caps.timestampType;
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
        .addColumn('data', caps.blobType, (c) => c.notNull())
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
