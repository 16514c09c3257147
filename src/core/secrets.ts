import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// API key secrets: 32 random bytes behind a recognisable prefix, so a leaked key is easy
// to spot in a log or a repository. Only the SHA-256 is stored: the secrets are random,
// so a slow password hash would add latency to every request and no protection.

export const KEY_PREFIX = 'kph_';

export function generateSecret(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): { lookup: string; hash: string } {
  const hash = createHash('sha256').update(secret).digest('hex');
  return { lookup: hash.slice(0, 16), hash };
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The first characters of a secret, kept and shown to tell keys apart: the `kph_` prefix
 * and 8 more (48 of a generated secret's 256 random bits); 8 of a secret given at first start.
 */
export function shownPrefix(secret: string): string {
  return secret.slice(0, (secret.startsWith(KEY_PREFIX) ? KEY_PREFIX.length : 0) + 8);
}
