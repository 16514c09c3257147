import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newId } from '../core/ids.ts';
import { findWebhook, type JobRow } from '../store/jobs.ts';
import type { DB } from '../store/schema.ts';
import { now } from '../store/time.ts';
import { toImportView } from './import-view.ts';
import { enqueueJobIn } from './queue.ts';
import type { JobHandler } from './types.ts';

// An organization may register one webhook; when one of its jobs ends, the queue enqueues
// a delivery job (in the transaction that ends the job, so no end is ever missed). The
// delivery is a job like any other: retried with exponential backoff until it gets a 2xx.

export const WEBHOOK_KIND = 'webhook.deliver';
export const SIGNATURE_HEADER = 'KPIHub-Signature';
const DELIVERY_ATTEMPTS = 8;
const TIMEOUT_MS = 10_000;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe-style receivers expect. */
export function signWebhook(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** For receivers (and tests): the signature is ours and at most `toleranceSeconds` old. */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return false;
  if (Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1], 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Schedules the webhook call for a job that just ended, if its organization has a webhook. */
export async function enqueueWebhookDelivery(trx: Kysely<DB>, ended: JobRow): Promise<void> {
  if (!(await findWebhook(trx, ended.org_id))) return;
  const event = {
    id: newId(),
    type: `import.${ended.status}`,
    created_at: now(),
    data: toImportView(ended),
  };
  await enqueueJobIn(trx, {
    actor: { orgId: ended.org_id, actor: 'kpihub', keyId: '', scopes: [] },
    kind: WEBHOOK_KIND,
    internal: true,
    maxAttempts: DELIVERY_ATTEMPTS,
    meta: { jobId: ended.id, event: event.type },
    payload: JSON.stringify(event),
  });
}

/** Posts the stored event, signed with the webhook's current secret. A non-2xx answer is retried. */
export const deliverWebhook: JobHandler = async (ctx) => {
  // Read at delivery time: a changed URL or rotated secret applies to pending deliveries.
  const hook = await findWebhook(ctx.store.db, ctx.job.org_id);
  if (!hook) return { result: { skipped: 'no webhook is configured' } };
  const pieces: Buffer[] = [];
  for await (const piece of ctx.payload()) pieces.push(piece);
  const body = Buffer.concat(pieces).toString('utf8');
  const res = await fetch(hook.url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'KPIHub-Webhook/1',
      [SIGNATURE_HEADER]: signWebhook(hook.secret, body),
      'KPIHub-Event': String(ctx.meta.event ?? ''),
      'KPIHub-Delivery': ctx.job.id,
    },
    body,
    signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
  });
  await res.body?.cancel();
  if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered ${res.status}`);
  return { result: { delivered_to: hook.url, status: res.status } };
};
