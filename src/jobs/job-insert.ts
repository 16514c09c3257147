import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { now } from '../core/clock.ts';
import type { Actor } from '../core/context.ts';
import { Conflict, Invalid } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { isUniqueViolation } from '../store/database.ts';
import {
  findJobByIdempotencyKey,
  insertJob,
  type JobRow,
  releaseIdempotencyKey,
  UNFINISHED,
} from '../store/jobs.ts';
import type { DB } from '../store/schema.ts';
import { type PayloadSource, payloadInfo } from './spool.ts';

// A job's row as it is accepted: its options, the Idempotency-Key rules, the row itself.

export const DEFAULT_MAX_ATTEMPTS = 5;

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

/** The Idempotency-Key check and the job's row, with the given status; no payload. */
export async function insertJobRow(
  trx: Kysely<DB>,
  opts: EnqueueOptions,
  status: 'queued' | 'staging',
): Promise<Enqueued> {
  const at = now();
  const info = payloadInfo(opts.payload);
  const requestHash = createHash('sha256')
    .update(`${opts.kind}\u0000${opts.requestKey ?? ''}\u0000${info.sha256 ?? ''}`)
    .digest('hex');
  if (opts.idempotencyKey) {
    const earlier = await earlierJob(trx, opts, opts.idempotencyKey, requestHash, at);
    if (earlier) return { job: earlier, created: false };
  }
  const job = newJobRow(opts, status, info, requestHash, at);
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
 * The job an earlier request with this Idempotency-Key made, when this request is a replay
 * of it (same request, within the window). Conflict while that job is unfinished; Invalid
 * for a different request within the window. After the window the key is released.
 */
async function earlierJob(
  trx: Kysely<DB>,
  opts: EnqueueOptions,
  key: string,
  requestHash: string,
  at: string,
): Promise<JobRow | undefined> {
  const earlier = await findJobByIdempotencyKey(trx, opts.actor.orgId, key);
  if (!earlier) return undefined;
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
    return earlier;
  }
  await releaseIdempotencyKey(trx, opts.actor.orgId, earlier.id);
  return undefined;
}

function newJobRow(
  opts: EnqueueOptions,
  status: 'queued' | 'staging',
  info: { bytes: number },
  requestHash: string,
  at: string,
): JobRow {
  const { actor } = opts;
  return {
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
}
