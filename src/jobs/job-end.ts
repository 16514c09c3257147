import type { Kysely } from 'kysely';
import { now } from '../core/clock.ts';
import type { FieldIssue } from '../core/errors.ts';
import { rejectedItems } from '../core/job-issues.ts';
import { endJob, type JobEnd, type JobRow } from '../store/jobs.ts';
import type { DB } from '../store/schema.ts';
import type { JobOutcome } from './types.ts';
import { enqueueWebhookDelivery } from './webhooks.ts';

// How a job ends: completed with its outcome, failed with its issues, or retried later.

export const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/** Delay before retry `attempt` (1-based): base·2^(attempt-1), capped, with ±25% jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.75 + Math.random() * 0.5));
}

/**
 * Records how a job ended (only if `leaseOwner` still holds it) and, for jobs that are not
 * the queue's own, schedules the organization's webhook, in the given transaction.
 */
export async function recordEnd(
  trx: Kysely<DB>,
  row: JobRow,
  leaseOwner: string,
  end: JobEnd,
): Promise<JobRow | undefined> {
  const ended = await endJob(trx, row, leaseOwner, end, now());
  if (ended && !ended.internal) await enqueueWebhookDelivery(trx, ended);
  return ended;
}

export function outcomeEnd(outcome: JobOutcome | undefined, progress: string | undefined): JobEnd {
  return {
    status: 'completed',
    ...(outcome?.received === undefined ? {} : { received: outcome.received }),
    applied: outcome?.applied ?? 0,
    rejected: 0,
    errors: null,
    result: outcome?.result ? JSON.stringify(outcome.result) : null,
    progress: progress ?? null,
  };
}

export function failedEnd(issues: FieldIssue[], progress: string | undefined): JobEnd {
  return {
    status: 'failed',
    applied: 0,
    rejected: rejectedItems(issues),
    errors: JSON.stringify(issues),
    result: null,
    progress: progress ?? null,
  };
}
