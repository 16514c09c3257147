import type { ApiKeyRecord } from './access-types.ts';
import { now } from './clock.ts';
import type { Scope } from './context.ts';
import { Invalid } from './errors.ts';
import { newId } from './ids.ts';
import type { Storage } from './ports/index.ts';
import { generateSecret, hashesEqual, hashSecret } from './secrets.ts';

export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

export interface ApiKeyInfo {
  id: string;
  orgId: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function parseScopes(raw: string): Scope[] {
  const scopes = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = scopes.filter((s) => !SCOPES.includes(s as Scope));
  if (bad.length || scopes.length === 0) {
    throw Invalid.field('scopes', `scopes must be a comma-separated list of ${SCOPES.join(', ')}`);
  }
  return [...new Set(scopes)] as Scope[];
}

export function toKeyInfo(row: ApiKeyRecord): ApiKeyInfo {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    scopes: row.scopes.split(',') as Scope[],
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Creates a key and returns its secret: the only time the secret is ever seen. */
export async function createApiKey(
  storage: Storage,
  input: { orgId: string; name: string; scopes: Scope[]; secret?: string },
): Promise<{ key: ApiKeyInfo; secret: string }> {
  const secret = input.secret ?? generateSecret();
  const { lookup, hash } = hashSecret(secret);
  const row: ApiKeyRecord = {
    id: newId(),
    org_id: input.orgId,
    name: input.name,
    lookup,
    secret_hash: hash,
    scopes: input.scopes.join(','),
    created_at: now(),
    last_used_at: null,
    revoked_at: null,
  };
  await storage.insertApiKey(row);
  return { key: toKeyInfo(row), secret };
}

/** How long an authentication answer is reused: the bound on a revocation taking effect. */
export const AUTH_CACHE_TTL_MS = 5_000;
const TOUCH_EVERY_MS = 60_000;

/**
 * Resolves secrets to keys. A short cache keeps the lookup off the hot path of every
 * request; a revocation takes effect everywhere within AUTH_CACHE_TTL_MS. last_used_at is
 * written at most once a minute per key, not on every request.
 */
export class KeyAuthenticator {
  private cache = new Map<string, { key: ApiKeyInfo | null; until: number }>();
  private touched = new Map<string, number>();

  /** `reader` answers lookups (never waiting behind a long write); `writer` records last use. */
  constructor(
    private readonly reader: Storage,
    private readonly writer: Storage = reader,
  ) {}

  async authenticate(secret: string): Promise<ApiKeyInfo | null> {
    const { lookup, hash } = hashSecret(secret);
    const t = Date.now();
    const hit = this.cache.get(hash);
    let key: ApiKeyInfo | null;
    if (hit && hit.until > t) {
      key = hit.key;
    } else {
      const rows = await this.reader.findKeysByLookup(lookup);
      const row = rows.find((r) => hashesEqual(r.secret_hash, hash));
      key = row ? toKeyInfo(row) : null;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { key, until: t + AUTH_CACHE_TTL_MS });
    }
    if (key && (this.touched.get(key.id) ?? 0) + TOUCH_EVERY_MS < t) {
      this.touched.set(key.id, t);
      // Not awaited: a request never waits for this bookkeeping write (which could queue
      // behind a long batch on SQLite); a lost touch only makes last_used_at a little older.
      this.writer.touchApiKey(key.id, new Date(t).toISOString()).catch(() => {});
    }
    return key;
  }

  forget(): void {
    this.cache.clear();
  }
}
