import type { ApiKeyRecord } from './access-types.ts';
import { now } from './clock.ts';
import type { Scope } from './context.ts';
import { Conflict, Invalid, NotFound } from './errors.ts';
import { newId } from './ids.ts';
import { decodeCursor, type Page, toPage } from './paging.ts';
import type { Storage } from './ports/index.ts';
import { generateSecret, hashesEqual, hashSecret, shownPrefix } from './secrets.ts';

export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

export interface ApiKeyInfo {
  id: string;
  orgId: string;
  name: string;
  /** The secret's first characters (null for keys made before they were kept). */
  prefix: string | null;
  scopes: Scope[];
  createdAt: string;
  /** The key that created this one; null for the CLI and the first start. */
  createdBy: string | null;
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
    prefix: row.prefix,
    scopes: row.scopes.split(',') as Scope[],
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Creates a key and returns its secret: the only time the secret is ever seen. */
export async function createApiKey(
  storage: Storage,
  input: { orgId: string; name: string; scopes: Scope[]; secret?: string; createdBy?: string | null },
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
    prefix: shownPrefix(secret),
    created_at: now(),
    created_by: input.createdBy ?? null,
    last_used_at: null,
    revoked_at: null,
  };
  await storage.insertApiKey(row);
  return { key: toKeyInfo(row), secret };
}

/** An organization's keys in id order; the revoked ones only when asked. */
export async function listApiKeys(
  storage: Storage,
  orgId: string,
  opts: { cursor?: string; limit: number; includeRevoked: boolean },
): Promise<Page<ApiKeyInfo>> {
  const rows = await storage.listApiKeys(orgId, {
    after: decodeCursor(opts.cursor),
    limit: opts.limit + 1,
    includeRevoked: opts.includeRevoked,
  });
  return toPage(rows.map(toKeyInfo), opts.limit);
}

export async function getApiKey(storage: Storage, orgId: string, id: string): Promise<ApiKeyInfo> {
  const row = await storage.findApiKey(orgId, id);
  if (!row) throw new NotFound('API key');
  return toKeyInfo(row);
}

/** What caches authentication answers by key: told of a revocation so it holds at once. */
export interface KeyCache {
  forgetKey(keyId: string): void;
}

/**
 * Revokes one of the organization's keys and ends its sessions, in one transaction; then
 * `caches` (this process's authenticators) forget the key, so the revocation holds here at
 * once and elsewhere within AUTH_CACHE_TTL_MS. Revoking a key already revoked changes
 * nothing. The organization's last active admin key is not revoked (Conflict): nobody could
 * manage its keys afterwards, short of the CLI.
 */
export async function revokeApiKey(
  storage: Storage,
  orgId: string,
  id: string,
  caches: readonly KeyCache[] = [],
): Promise<ApiKeyInfo> {
  const key = await storage.transaction(async (tx) => {
    // Two revocations of an organization's last two admin keys must not both see the
    // other one still active: they take turns (a no-op on a single-writer engine).
    await tx.lockKeys([`api-keys:${orgId}`]);
    const row = await tx.findApiKey(orgId, id);
    if (!row) throw new NotFound('API key');
    if (row.revoked_at !== null) return toKeyInfo(row);
    const isAdmin = (r: ApiKeyRecord) => toKeyInfo(r).scopes.includes('admin');
    if (isAdmin(row)) {
      // All of them: an organization has a handful of keys, not pages of them.
      const active = await tx.listApiKeys(orgId, { limit: Number.MAX_SAFE_INTEGER, includeRevoked: false });
      if (!active.some((r) => r.id !== id && isAdmin(r))) {
        throw new Conflict(
          'This is the last active admin key of the organization: create another admin key before revoking it',
        );
      }
    }
    const at = now();
    await tx.revokeApiKey(orgId, id, at);
    await tx.deleteSessionsOfKey(orgId, id);
    return { ...toKeyInfo(row), revokedAt: at };
  });
  for (const cache of caches) cache.forgetKey(id);
  return key;
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
      this.writer.touchApiKey(key.orgId, key.id, new Date(t).toISOString()).catch(() => {});
    }
    return key;
  }

  /** Drops the cached answers for a key (it was revoked): its next request is looked up. */
  forgetKey(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.key?.id === keyId) this.cache.delete(hash);
  }

  forget(): void {
    this.cache.clear();
  }
}
