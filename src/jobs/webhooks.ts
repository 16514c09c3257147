import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Kysely } from 'kysely';
import { now } from '../core/clock.ts';
import { DomainError, Invalid } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { toImportView } from '../core/import-view.ts';
import { type CheckedTarget, checkWebhookTarget, type ResolvedAddress } from '../core/webhook-targets.ts';
import type { JobRow } from '../store/jobs.ts';
import type { DB } from '../store/schema.ts';
import { findWebhook } from '../store/webhooks.ts';
import { enqueueJobIn } from './queue.ts';
import type { JobHandler } from './types.ts';

// An organization may register one webhook; when one of its jobs ends, the queue enqueues
// a delivery job (in the transaction that ends the job, so no end is ever missed). The
// delivery is a job like any other: retried with exponential backoff until it gets a 2xx.
// Before each attempt the target is checked again (core/webhook-targets.ts) and the
// connection goes to the address that was checked. A refused target ends the delivery
// `failed` at once, its reason in the job's errors: retrying would be refused again, since
// only a change of settings (a restart) can allow it.

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
  const hook = await ctx.storage.findWebhook(ctx.job.org_id);
  if (!hook) return { result: { skipped: 'no webhook is configured' } };
  const target = await checkedTarget(hook.url, ctx);
  const pieces: Buffer[] = [];
  for await (const piece of ctx.payload()) pieces.push(piece);
  const body = Buffer.concat(pieces).toString('utf8');
  const { status, address } = await post(
    target,
    {
      'content-type': 'application/json',
      'user-agent': 'KPIHub-Webhook/1',
      [SIGNATURE_HEADER]: signWebhook(hook.secret, body),
      'KPIHub-Event': String(ctx.meta.event ?? ''),
      'KPIHub-Delivery': ctx.job.id,
    },
    body,
    AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
  );
  if (status < 200 || status >= 300) throw new Error(`webhook answered ${status}`);
  return { result: { delivered_to: hook.url, address, status } };
};

/** The target, checked now. A refusal is final (Invalid); a name that does not resolve is retried. */
async function checkedTarget(url: string, ctx: Parameters<JobHandler>[0]): Promise<CheckedTarget> {
  try {
    return await checkWebhookTarget(url, ctx.webhookTargets);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    const issue = e instanceof Invalid ? e.issues[0] : undefined;
    if (issue?.code === 'unresolvable') throw new Error(issue.message);
    throw new Invalid([
      { field: 'url', code: 'refused', message: `delivery refused: ${issue?.message ?? e.message}` },
    ]);
  }
}

/** Answers every lookup of the target's host with the addresses that were checked. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const usable = addresses.filter((a) => !options.family || a.family === options.family);
    const list = usable.length > 0 ? usable : addresses;
    if (options.all)
      callback(
        null,
        list.map((a) => ({ address: a.address, family: a.family })),
      );
    else callback(null, list[0].address, list[0].family);
  };
}

/** POSTs the body to a checked address (redirects are not followed): the status and the address used. */
function post(
  target: CheckedTarget,
  headers: OutgoingHttpHeaders,
  body: string,
  signal: AbortSignal,
): Promise<{ status: number; address: string | undefined }> {
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target.url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: pinnedLookup(target.addresses),
        agent: false,
        signal,
      },
      (res) => {
        // The answer's body is not read: only its status counts.
        res.resume();
        resolve({ status: res.statusCode ?? 0, address: res.socket?.remoteAddress });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
