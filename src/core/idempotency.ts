import { createHash } from 'node:crypto';
import { Conflict, Invalid } from './errors.ts';
import type { Storage } from './ports/index.ts';

// Idempotency-Key: a retry with the same key and the same request gets the first answer;
// the same key with another request is refused (422); a retry while the first is still
// running is a conflict (409). Keys are remembered per organization for a window.

export const IDEMPOTENCY_KEY_MAX = 255;
/** A request still `processing` after this long died with its process: its key is free again. */
export const STALE_PROCESSING_MS = 5 * 60 * 1000;

export interface Replay {
  status: number;
  body: string;
  contentType: string | null;
}

export const requestHash = (parts: string[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\u0000');
  return h.digest('hex');
};

/** Returns the stored answer to replay, or null when this request now holds the key. */
export async function beginIdempotent(
  storage: Storage,
  orgId: string,
  key: string,
  hash: string,
  windowSeconds: number,
): Promise<Replay | null> {
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX) {
    throw Invalid.field('Idempotency-Key', `must be 1 to ${IDEMPOTENCY_KEY_MAX} characters`);
  }
  const at = new Date();
  const claimed = await storage.claimIdempotencyKey(
    {
      org_id: orgId,
      key,
      request_hash: hash,
      state: 'processing',
      status_code: null,
      response_body: null,
      response_type: null,
      created_at: at.toISOString(),
      expires_at: new Date(at.getTime() + windowSeconds * 1000).toISOString(),
    },
    at.toISOString(),
    new Date(at.getTime() - STALE_PROCESSING_MS).toISOString(),
  );
  if (claimed) return null;
  const row = await storage.findIdempotencyKey(orgId, key);
  if (!row) return beginIdempotent(storage, orgId, key, hash, windowSeconds);
  if (row.request_hash !== hash) {
    throw Invalid.field('Idempotency-Key', 'this key was already used with a different request');
  }
  if (row.state !== 'done')
    throw new Conflict('A request with this Idempotency-Key is still being processed');
  return { status: row.status_code ?? 200, body: row.response_body ?? '', contentType: row.response_type };
}

export function finishIdempotent(
  storage: Storage,
  orgId: string,
  key: string,
  response: { status: number; body: string; contentType: string | null },
): Promise<void> {
  // Server errors are not remembered: the client may retry them with the same key.
  if (response.status >= 500) return storage.releaseIdempotencyKey(orgId, key);
  return storage.completeIdempotencyKey(orgId, key, {
    status_code: response.status,
    response_body: response.body,
    response_type: response.contentType,
  });
}
