import { hash as digest } from 'node:crypto';
import type { AnalyticsMessage } from './message-types.ts';

// The deduplication key of a message. A messageId alone is not enough: Vitally's own sample
// sends one messageId on an organization, an account, a user and a track, and all four must
// apply. So the key is the messageId plus what the message is about (its type and ids). A
// message without a messageId is keyed by a hash of its whole content.

function about(m: AnalyticsMessage): (string | undefined)[] {
  switch (m.type) {
    case 'organization':
      return [m.organizationId];
    case 'account':
      return [m.accountId];
    case 'user':
      return [m.userId];
    case 'custom_object_instance':
      return [m.customObjectId, m.externalId];
    case 'track':
      return [m.userId, m.event];
    case 'unlink':
      return [m.userId, m.accountId, m.organizationId];
  }
}

/** JSON with object keys sorted, so the same message hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// The first 22 base64url characters (132 bits) of SHA-256: collisions stay out of reach and
// the dedup index stays small. The one-shot crypto.hash is several times faster than
// createHash for inputs this short.
const hash = (text: string) => digest('sha256', text, 'base64url').slice(0, 22);

export function messageKey(m: AnalyticsMessage): string {
  if (m.messageId)
    return hash(JSON.stringify(['id', m.type, ...about(m).map((s) => s ?? null), m.messageId]));
  return hash(`msg:${canonicalJson(m)}`);
}
