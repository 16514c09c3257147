import { randomBytes } from 'node:crypto';
import { now } from './clock.ts';
import type { Actor } from './context.ts';
import { Invalid, NotFound } from './errors.ts';
import type { Storage } from './ports/index.ts';
import { checkWebhookTarget, type TargetPolicy } from './webhook-targets.ts';

// One optional webhook per organization, called when one of its imports ends. The secret
// signs each call (HMAC-SHA256); it is shown when set and never again.

export interface Webhook {
  url: string;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}

const SECRET_MIN = 16;

export async function setWebhook(
  storage: Storage,
  actor: Actor,
  input: { url: string; secret?: string },
  targets: TargetPolicy,
): Promise<Webhook & { secret: string }> {
  if (input.secret !== undefined && input.secret.length < SECRET_MIN)
    throw Invalid.field('secret', `must be at least ${SECRET_MIN} characters`);
  // Refused before anything is stored; checked again at every delivery (DNS may change).
  await checkWebhookTarget(input.url, targets);
  const secret = input.secret ?? `whsec_${randomBytes(32).toString('base64url')}`;
  const at = now();
  const existing = await storage.findWebhook(actor.orgId);
  const row = {
    org_id: actor.orgId,
    url: input.url,
    secret,
    created_at: existing?.created_at ?? at,
    updated_at: at,
    created_by: existing?.created_by ?? actor.actor,
  };
  await storage.upsertWebhook(row);
  return {
    url: row.url,
    secret,
    created_at: row.created_at,
    updated_at: row.updated_at,
    created_by: row.created_by,
  };
}

export async function getWebhook(storage: Storage, orgId: string): Promise<Webhook> {
  const row = await storage.findWebhook(orgId);
  if (!row) throw new NotFound('webhook');
  return { url: row.url, created_at: row.created_at, updated_at: row.updated_at, created_by: row.created_by };
}

export async function deleteWebhook(storage: Storage, orgId: string): Promise<void> {
  if (!(await storage.deleteWebhook(orgId))) throw new NotFound('webhook');
}
