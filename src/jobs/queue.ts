import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { now } from '../core/clock.ts';
import type { Actor } from '../core/context.ts';
import { Conflict, Invalid, TooLarge } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Store } from '../store/database.ts';
import {
  deletePayloadChunksFrom,
  deleteStagingJob,
  findJobByIdempotencyKey,
  insertJob,
  insertPayloadChunk,
  isUniqueViolation,
  type JobRow,
  lastPayloadSeq,
  payloadChunkCount,
  payloadChunkReader,
  queueStagedJob,
  releaseIdempotencyKey,
  staleStagingJobIds,
  UNFINISHED,
} from '../store/jobs.ts';
import type { DB } from '../store/schema.ts';
import { writeTransaction } from '../store/transactions.ts';

/** Payloads are stored in pieces of this size: big enough to be few rows, small enough to stream. */
export const PAYLOAD_CHUNK_BYTES = 1024 * 1024;
export const DEFAULT_MAX_ATTEMPTS = 5;

/** In-process wake-up call: a local worker claims a new job at once instead of at its next poll. */
export const queueEvents = new EventEmitter();
queueEvents.setMaxListeners(0);

/** A payload spooled to a temporary file: complete and hashed before any transaction opens. */
export interface SpooledFile {
  path: string;
  bytes: number;
  sha256: string;
  remove(): Promise<void>;
}

/**
 * Streams a request body (or any stream) to a temporary file under `dir`, hashing it on
 * the way. Beyond `maxBytes` it stops and throws TooLarge. The body is spooled first so a
 * slow client never holds a database transaction open, and memory stays bounded.
 */
export async function spoolToFile(
  source: Readable | AsyncIterable<Uint8Array>,
  opts: { dir: string; maxBytes: number },
): Promise<SpooledFile> {
  const dir = join(opts.dir, 'spool');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${newId()}.part`);
  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes)
        return done(new TooLarge(`The payload is larger than ${opts.maxBytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const remove = () => rm(path, { force: true });
  try {
    await pipeline(source, count, createWriteStream(path));
  } catch (e) {
    await remove();
    throw e;
  }
  return { path, bytes, sha256: hash.digest('hex'), remove };
}

/** A job's payload: bytes in memory (small ones) or a spooled file (big ones). */
export type PayloadSource = Buffer | string | SpooledFile;

export interface EnqueueOptions {
  /** The organization and the actor the job runs as. */
  actor: Actor;
  kind: string;
  /** Anything the handler needs besides the payload (ids from the URL, options). JSON. */
  meta?: Record<string, unknown>;
  payload?: PayloadSource;
  /** Jobs with the same key run one at a time, in the order they were accepted. */
  orderingKey?: string | null;
  /**
   * The client's Idempotency-Key. The same key while its first job is unfinished is a
   * Conflict; after it finished (within the window), the same payload gets the same job
   * back (`created: false`) and a different payload is Invalid.
   */
  idempotencyKey?: string | null;
  idempotencyWindowSeconds?: number;
  /**
   * What besides the kind and payload makes two requests the same one (e.g. the URL's
   * ids), for the Idempotency-Key comparison.
   */
  requestKey?: string;
  /** Items in the payload, when known at acceptance. */
  received?: number;
  maxAttempts?: number;
  /** The queue's own jobs (webhook deliveries) are left out of import listings. */
  internal?: boolean;
  runAfter?: string;
}

export interface Enqueued {
  job: JobRow;
  /** False when an Idempotency-Key replay returned the earlier job. */
  created: boolean;
}

function payloadInfo(payload: PayloadSource | undefined): { bytes: number; sha256: string | null } {
  if (payload === undefined) return { bytes: 0, sha256: null };
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    return { bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
  }
  return { bytes: payload.bytes, sha256: payload.sha256 };
}

function payloadBytes(payload: PayloadSource): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  return Buffer.isBuffer(payload) ? payload.length : payload.bytes;
}

async function* payloadPieces(payload: PayloadSource): AsyncIterable<Buffer> {
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    for (let i = 0; i < buf.length; i += PAYLOAD_CHUNK_BYTES) yield buf.subarray(i, i + PAYLOAD_CHUNK_BYTES);
    return;
  }
  for await (const chunk of createReadStream(payload.path, { highWaterMark: PAYLOAD_CHUNK_BYTES })) {
    yield chunk as Buffer;
  }
}

/**
 * Inserts a job and its payload with the given transaction (the caller commits). Use it
 * to enqueue a job atomically with other writes; enqueueJob wraps it in a transaction.
 */
export async function enqueueJobIn(trx: Kysely<DB>, opts: EnqueueOptions): Promise<Enqueued> {
  const out = await insertJobRow(trx, opts, 'queued');
  if (out.created && opts.payload !== undefined) {
    let seq = 0;
    for await (const data of payloadPieces(opts.payload)) {
      await insertPayloadChunk(trx, { job_id: out.job.id, org_id: opts.actor.orgId, seq: seq++, data });
    }
  }
  return out;
}

/** The Idempotency-Key check and the job's row, with the given status; no payload. */
async function insertJobRow(
  trx: Kysely<DB>,
  opts: EnqueueOptions,
  status: 'queued' | 'staging',
): Promise<Enqueued> {
  const at = now();
  const { actor } = opts;
  const info = payloadInfo(opts.payload);
  const requestHash = createHash('sha256')
    .update(`${opts.kind}\u0000${opts.requestKey ?? ''}\u0000${info.sha256 ?? ''}`)
    .digest('hex');
  if (opts.idempotencyKey) {
    const earlier = await findJobByIdempotencyKey(trx, actor.orgId, opts.idempotencyKey);
    if (earlier) {
      const windowMs = (opts.idempotencyWindowSeconds ?? 24 * 3600) * 1000;
      const expired = Date.parse(earlier.created_at) + windowMs < Date.parse(at);
      if (UNFINISHED.includes(earlier.status as never)) {
        throw new Conflict('A request with this Idempotency-Key is still being processed');
      }
      if (!expired) {
        if (earlier.request_hash !== requestHash) {
          throw new Invalid([
            {
              field: 'Idempotency-Key',
              in: 'header',
              message: 'this Idempotency-Key was already used for a different request',
            },
          ]);
        }
        return { job: earlier, created: false };
      }
      await releaseIdempotencyKey(trx, actor.orgId, earlier.id);
    }
  }
  const job: JobRow = {
    id: newId(),
    org_id: actor.orgId,
    kind: opts.kind,
    status,
    internal: opts.internal ? 1 : 0,
    attempts: 0,
    max_attempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    run_after: opts.runAfter ?? at,
    lease_owner: null,
    lease_expires_at: null,
    ordering_key: opts.orderingKey ?? null,
    idempotency_key: opts.idempotencyKey ?? null,
    request_hash: requestHash,
    payload_bytes: info.bytes,
    received: opts.received ?? 0,
    applied: 0,
    rejected: 0,
    errors: null,
    result: null,
    progress: null,
    meta: JSON.stringify({
      ...(opts.meta ?? {}),
      actor: {
        actor: actor.actor,
        keyId: actor.keyId,
        scopes: actor.scopes,
        requestId: actor.requestId ?? null,
      },
    }),
    last_error: null,
    created_at: at,
    updated_at: at,
    started_at: null,
    finished_at: null,
    created_by: actor.actor,
  };
  try {
    await insertJob(trx, job);
  } catch (e) {
    // Two requests with one key raced past the lookup: the unique index let one through.
    if (opts.idempotencyKey && isUniqueViolation(e)) {
      throw new Conflict('A request with this Idempotency-Key is still being processed');
    }
    throw e;
  }
  return { job, created: true };
}

/**
 * Payloads bigger than this are staged: stored in transactions of at most this size.
 * One transaction of a whole 200 MB file held SQLite's event loop for ~1.8 s at its
 * commit (the writer's WAL checkpoint copied every page of it: the background
 * checkpointer cannot copy pages not yet committed) and kept every other writer out for
 * the seconds the inserts took. A commit of 4 MB takes tens of milliseconds.
 */
export const STAGE_BYTES = 4 * PAYLOAD_CHUNK_BYTES;

/**
 * Stores a job and its payload, so an accepted job is never lost and never half-stored:
 * answer the client (202, job id) only after this resolves. A payload of at most
 * STAGE_BYTES is stored in one transaction. A bigger one is staged: the job's row is
 * committed as 'staging' (no worker claims it, no listing shows it, its Idempotency-Key
 * is taken), the payload follows in transactions of STAGE_BYTES with the event loop and
 * the writer free between them, and a last short transaction makes it 'queued'. If
 * anything fails on the way the staging job and its chunks are deleted; if the process
 * dies, the sweep at the next start deletes them (sweepStaleStagingJobs).
 *
 * A job with an ordering key is never staged: its id is its place in its key's order, so
 * it must be queued in the transaction that gives it that id (a Workiva batch is bounded
 * by KPIHUB_WORKIVA_MAX_BYTES anyway). The caller removes a spooled file afterwards.
 */
export async function enqueueJob(store: Store, opts: EnqueueOptions): Promise<Enqueued> {
  const { payload } = opts;
  const staged = payload !== undefined && !opts.orderingKey && payloadBytes(payload) > STAGE_BYTES;
  const out = staged
    ? await enqueueStaged(store, opts, payload)
    : await writeTransaction(store, (trx) => enqueueJobIn(trx, opts));
  if (out.created) queueEvents.emit('enqueued', opts.kind);
  return out;
}

async function enqueueStaged(store: Store, opts: EnqueueOptions, payload: PayloadSource): Promise<Enqueued> {
  const out = await writeTransaction(store, (trx) => insertJobRow(trx, opts, 'staging'));
  if (!out.created) return out;
  const { id } = out.job;
  const orgId = opts.actor.orgId;
  try {
    let seq = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = async () => {
      const pieces = batch;
      batch = [];
      batchBytes = 0;
      // The pieces are read before the transaction opens: it holds only the inserts.
      await writeTransaction(store, async (trx) => {
        for (const data of pieces)
          await insertPayloadChunk(trx, { job_id: id, org_id: orgId, seq: seq++, data });
      });
      // The commit was synchronous on SQLite: let requests that waited meanwhile run.
      await new Promise<void>((resolve) => setImmediate(resolve));
    };
    let stored = 0;
    for await (const data of payloadPieces(payload)) {
      batch.push(data);
      batchBytes += data.length;
      stored += data.length;
      if (batchBytes >= STAGE_BYTES) await flush();
    }
    if (batch.length) await flush();
    // The job's payload_bytes (and its Idempotency-Key hash) describe the whole payload:
    // a spool file cut short is a failure, not a smaller job.
    if (stored !== payloadBytes(payload))
      throw new Error(`staging job ${id}: ${stored} bytes read, ${payloadBytes(payload)} expected`);
    const at = now();
    const queued = await writeTransaction(store, (trx) => queueStagedJob(trx, id, at));
    if (!queued) throw new Error(`staging job ${id} was removed before its payload was complete`);
    return { job: { ...out.job, status: 'queued', updated_at: at }, created: true };
  } catch (e) {
    // Best effort: what is left (the process dies now) goes at the next start's sweep.
    await removeStagingJob(store, id).catch(() => undefined);
    throw e;
  }
}

/**
 * Deletes a staging job and its payload, the chunks a few at a time from the last one
 * (on SQLite, deleting a 200 MB payload at once would hold the event loop like storing
 * it did), then the job's row.
 */
export async function removeStagingJob(store: Store, jobId: string): Promise<void> {
  const step = Math.max(1, Math.floor(STAGE_BYTES / PAYLOAD_CHUNK_BYTES));
  for (let from = (await lastPayloadSeq(store.db, jobId)) - step + 1; ; from -= step) {
    await writeTransaction(store, (trx) => deletePayloadChunksFrom(trx, jobId, Math.max(0, from)));
    if (from <= 0) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await writeTransaction(store, (trx) => deleteStagingJob(trx, jobId));
}

/**
 * Deletes the staging jobs older than `graceMs`: an enqueue that was interrupted (the
 * process died) before its job was queued. A younger one may be another process's
 * enqueue in progress, and is kept.
 */
export async function sweepStaleStagingJobs(store: Store, graceMs: number, at = Date.now()): Promise<number> {
  const ids = await staleStagingJobIds(store.db, new Date(at - graceMs).toISOString());
  for (const id of ids) await removeStagingJob(store, id);
  return ids.length;
}

/** A job's stored payload, chunk by chunk, in order. Memory holds one chunk at a time. */
export async function* readPayload(store: Store, jobId: string): AsyncIterable<Buffer> {
  const read = payloadChunkReader(store);
  for (let seq = 0; ; seq++) {
    const data = await read(jobId, seq);
    if (data === undefined) return;
    yield Buffer.isBuffer(data) ? data : Buffer.from(data);
  }
}

export { payloadChunkCount };
