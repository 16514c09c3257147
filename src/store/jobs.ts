import { type Kysely, sql } from 'kysely';
import type { JobFilter, JobStatus } from '../core/job-types.ts';
import type { Store } from './database.ts';
import type { ChunkReader } from './engine/types.ts';
import type { DB } from './schema.ts';

export type JobRow = DB['jobs'];
/**
 * Stored statuses add 'staging': a big payload is being stored in several short
 * transactions (queue.ts enqueueJob); workers never claim such a job and no listing or
 * status route shows it. It becomes 'queued' in one last transaction, or is deleted.
 */
export type StoredJobStatus = JobStatus | 'staging';
/** Not finished: an Idempotency-Key replay meanwhile is a Conflict. */
export const UNFINISHED: StoredJobStatus[] = ['staging', 'queued', 'running'];

export async function insertJob(db: Kysely<DB>, row: JobRow): Promise<void> {
  await db.insertInto('jobs').values(row).execute();
}

export async function insertPayloadChunk(
  db: Kysely<DB>,
  row: { job_id: string; org_id: string; seq: number; data: Buffer },
): Promise<void> {
  await db.insertInto('job_payload_chunks').values(row).execute();
}

export function findJob(db: Kysely<DB>, orgId: string, id: string): Promise<JobRow | undefined> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * The job accepted next after `row` under its ordering key, while still queued (the one a
 * worker claims once `row` ends); undefined when there is none or `row` has no key.
 */
export async function nextQueuedInOrder(
  db: Kysely<DB>,
  row: Pick<JobRow, 'id' | 'org_id' | 'ordering_key'>,
): Promise<Pick<JobRow, 'id' | 'kind' | 'meta'> | undefined> {
  if (row.ordering_key === null) return undefined;
  return db
    .selectFrom('jobs')
    .select(['id', 'kind', 'meta'])
    .where('org_id', '=', row.org_id)
    .where('ordering_key', '=', row.ordering_key)
    .where('status', '=', 'queued')
    .where('id', '>', row.id)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

export function findJobByIdempotencyKey(
  db: Kysely<DB>,
  orgId: string,
  key: string,
): Promise<JobRow | undefined> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

/** Frees an expired idempotency key so a new request may use it. */
export async function releaseIdempotencyKey(db: Kysely<DB>, orgId: string, jobId: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ idempotency_key: null })
    .where('org_id', '=', orgId)
    .where('id', '=', jobId)
    .execute();
}

/** An organization's jobs (not the queue's internal ones, nor those still staging), newest first. */
export function listJobs(db: Kysely<DB>, orgId: string, f: JobFilter): Promise<JobRow[]> {
  let q = db
    .selectFrom('jobs')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('internal', '=', 0)
    .where('status', '!=', 'staging');
  if (f.status) q = q.where('status', '=', f.status);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.after) q = q.where('id', '<', f.after);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

/**
 * Takes the next due job of one of `kinds` and leases it to `leaseOwner`, atomically:
 * PostgreSQL locks the candidate row with FOR UPDATE SKIP LOCKED (concurrent claimers skip
 * it instead of waiting); SQLite has one writer at a time, so the single UPDATE … RETURNING
 * is atomic by itself. A job is due when it is queued and its run_after has passed, or
 * running with an expired lease (its worker died). A job whose ordering key has an earlier
 * unfinished job waits for it, so batches of one metric apply in acceptance order.
 */
export async function claimJob(
  store: Store,
  kinds: string[],
  leaseOwner: string,
  at: string,
  leaseUntil: string,
): Promise<JobRow | undefined> {
  if (kinds.length === 0) return undefined;
  const db = store.db;
  let candidate = db
    .selectFrom('jobs as j')
    .select('j.id')
    .where('j.kind', 'in', kinds)
    .where((eb) =>
      eb.or([
        eb.and([eb('j.status', '=', 'queued'), eb('j.run_after', '<=', at)]),
        eb.and([eb('j.status', '=', 'running'), eb('j.lease_expires_at', '<', at)]),
      ]),
    )
    .where((eb) =>
      eb.or([
        eb('j.ordering_key', 'is', null),
        eb.not(
          eb.exists(
            eb
              .selectFrom('jobs as e')
              .select('e.id')
              .whereRef('e.org_id', '=', 'j.org_id')
              .whereRef('e.ordering_key', '=', 'j.ordering_key')
              .where('e.status', 'in', UNFINISHED)
              .whereRef('e.id', '<', 'j.id'),
          ),
        ),
      ]),
    )
    .orderBy('j.id')
    .limit(1);
  candidate = store.engine.skipLockedRows(candidate);
  return db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      lease_owner: leaseOwner,
      lease_expires_at: leaseUntil,
      attempts: eb('attempts', '+', 1),
      started_at: eb.fn.coalesce('started_at', sql.val(at)),
      updated_at: at,
    }))
    .where('id', 'in', candidate)
    .returningAll()
    .executeTakeFirst();
}

/** Which job: its id and organization (every key of a job's rows includes org_id). */
export type JobRef = Pick<JobRow, 'id' | 'org_id'>;

/** An update of a job that `leaseOwner` holds (it matches nothing once the lease was taken over). */
const leasedJob = (db: Kysely<DB>, job: JobRef, leaseOwner: string) =>
  db
    .updateTable('jobs')
    .where('org_id', '=', job.org_id)
    .where('id', '=', job.id)
    .where('lease_owner', '=', leaseOwner)
    .where('status', '=', 'running');

/** Extends a lease (and saves progress); false when the lease is no longer ours. */
export async function renewLease(
  db: Kysely<DB>,
  job: JobRef,
  leaseOwner: string,
  leaseUntil: string,
  progress: string | undefined,
  at: string,
): Promise<boolean> {
  const res = await leasedJob(db, job, leaseOwner)
    .set({ lease_expires_at: leaseUntil, updated_at: at, ...(progress === undefined ? {} : { progress }) })
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export type JobEnd = Pick<JobRow, 'status' | 'applied' | 'rejected' | 'errors' | 'result' | 'progress'> &
  Partial<Pick<JobRow, 'received'>>;

/**
 * Records how a job ended, if `leaseOwner` still holds it. Run inside the transaction of
 * the job's own write, it makes the data and the job's end commit together; the row lock
 * it takes (PostgreSQL) makes a concurrent claimer wait for that commit.
 */
export async function endJob(
  db: Kysely<DB>,
  job: JobRef,
  leaseOwner: string,
  end: JobEnd,
  at: string,
): Promise<JobRow | undefined> {
  return leasedJob(db, job, leaseOwner)
    .set({
      ...end,
      lease_owner: null,
      lease_expires_at: null,
      last_error: null,
      finished_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirst();
}

/** Puts a job back in the queue after an infrastructure error, to be retried at `runAfter`. */
export async function requeueJob(
  db: Kysely<DB>,
  job: JobRef,
  leaseOwner: string,
  runAfter: string,
  lastError: string,
  at: string,
): Promise<boolean> {
  const res = await leasedJob(db, job, leaseOwner)
    .set({
      status: 'queued',
      run_after: runAfter,
      lease_owner: null,
      lease_expires_at: null,
      last_error: lastError,
      updated_at: at,
    })
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * Gives a running job back to the queue (its worker is shutting down): due now, lease
 * cleared, and the attempt its claim counted taken back, since it did not fail. False
 * when the lease is no longer ours.
 */
export async function releaseJob(
  db: Kysely<DB>,
  job: JobRef,
  leaseOwner: string,
  at: string,
): Promise<boolean> {
  const res = await leasedJob(db, job, leaseOwner)
    .set((eb) => ({
      status: 'queued',
      attempts: eb('attempts', '-', 1),
      run_after: at,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: at,
    }))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** A staging job's payload is complete: it becomes 'queued' (false if it is no longer staging). */
export async function queueStagedJob(db: Kysely<DB>, jobId: string, at: string): Promise<boolean> {
  const res = await db
    .updateTable('jobs')
    .set({ status: 'queued', updated_at: at })
    .where('id', '=', jobId)
    .where('status', '=', 'staging')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Staging jobs created before `before` (ISO time): what an interrupted enqueue left. */
export async function staleStagingJobIds(db: Kysely<DB>, before: string): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('id')
    .where('status', '=', 'staging')
    .where('created_at', '<', before)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Jobs that ended (completed or failed) at or before `before` and still have payload
 * chunks, at most `limit`. Driven from the chunks (one row per payload: chunk 0, which a
 * purge deletes last), so its cost follows the payloads still kept, not every job ever run.
 */
export async function endedJobsWithPayload(db: Kysely<DB>, before: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('job_payload_chunks as c')
    .innerJoin('jobs as j', (join) => join.onRef('j.id', '=', 'c.job_id').onRef('j.org_id', '=', 'c.org_id'))
    .select('c.job_id')
    .where('c.seq', '=', 0)
    .where('j.status', 'in', ['completed', 'failed'])
    .where('j.finished_at', '<=', before)
    .limit(limit)
    .execute();
  return rows.map((r) => r.job_id);
}

/** The highest payload chunk number of a job (-1 when it has none). */
export async function lastPayloadSeq(db: Kysely<DB>, jobId: string): Promise<number> {
  const row = await db
    .selectFrom('job_payload_chunks')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('job_id', '=', jobId)
    .executeTakeFirst();
  return row?.seq === null || row?.seq === undefined ? -1 : Number(row.seq);
}

/** Deletes a job's payload chunks numbered `from` and up. */
export async function deletePayloadChunksFrom(db: Kysely<DB>, jobId: string, from: number): Promise<void> {
  await db.deleteFrom('job_payload_chunks').where('job_id', '=', jobId).where('seq', '>=', from).execute();
}

/** Deletes a job that is still staging (its chunks go with it). */
export async function deleteStagingJob(db: Kysely<DB>, jobId: string): Promise<void> {
  await db.deleteFrom('jobs').where('id', '=', jobId).where('status', '=', 'staging').execute();
}

export async function payloadChunkCount(db: Kysely<DB>, jobId: string): Promise<number> {
  const row = await db
    .selectFrom('job_payload_chunks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('job_id', '=', jobId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Reads one payload chunk. A handler reads its payload while its own write transaction is
 * open (EngineOps.payloadChunkReader reads where that cannot wait for it).
 */
export function payloadChunkReader(store: Store): ChunkReader {
  return store.engine.payloadChunkReader(store.db);
}
