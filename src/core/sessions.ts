import { randomBytes } from 'node:crypto';
import type { SessionRecord, SessionWithKey } from './access-types.ts';
import { type ApiKeyInfo, AUTH_CACHE_TTL_MS } from './api-keys.ts';
import type { Scope } from './context.ts';
import type { Storage } from './ports/index.ts';
import { hashSecret } from './secrets.ts';

// Browser sessions: an API key, checked once, exchanged for a random token that the browser
// keeps in an HttpOnly cookie (src/http/session-cookie.ts), so the key itself never sits in
// the page's storage. Only the token's SHA-256 is stored; the session carries the key's
// organization and scopes, and ends when the key is revoked (the lookup joins the key, with
// the same short cache as keys), when it has been idle for SESSION_IDLE_MS, at
// SESSION_MAX_MS after sign-in whatever its use, or at sign-out.

/** A session unused this long has ended (a working day and a night; touched once a minute). */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** A session ends this long after sign-in, however often it is used. */
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
const TOUCH_EVERY_MS = 60_000;

/** 32 random bytes (256 bits) behind a prefix that makes a leaked token easy to recognize. */
export const SESSION_TOKEN_PREFIX = 'kphs_';
const TOKEN_SHAPE = /^kphs_[A-Za-z0-9_-]{43}$/;

export interface SessionInfo {
  orgId: string;
  keyId: string;
  keyName: string;
  scopes: Scope[];
  createdAt: string;
  /** The absolute end. */
  expiresAt: string;
  /** When it ends unless it is used before. */
  idleExpiresAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export const sessionTokenHash = (token: string): string => hashSecret(token).hash;

function toInfo(row: SessionWithKey): SessionInfo {
  return {
    orgId: row.org_id,
    keyId: row.key_id,
    keyName: row.key_name,
    scopes: row.scopes.split(',') as Scope[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    idleExpiresAt: iso(Math.min(Date.parse(row.last_seen_at) + SESSION_IDLE_MS, Date.parse(row.expires_at))),
  };
}

/** Whether the session (as last read) still holds at `t`. */
function holds(row: SessionWithKey, t: number): boolean {
  return (
    row.key_revoked_at === null &&
    Date.parse(row.expires_at) > t &&
    Date.parse(row.last_seen_at) + SESSION_IDLE_MS > t
  );
}

/**
 * Starts a session for a key the caller has authenticated: stores the token's hash and
 * returns the token (the only time it is seen). Sweeps the sessions that have ended.
 */
export async function startSession(
  storage: Storage,
  key: ApiKeyInfo,
): Promise<{ token: string; session: SessionInfo }> {
  const token = SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const t = Date.now();
  const row: SessionRecord = {
    token_hash: sessionTokenHash(token),
    org_id: key.orgId,
    key_id: key.id,
    scopes: key.scopes.join(','),
    created_at: iso(t),
    expires_at: iso(t + SESSION_MAX_MS),
    last_seen_at: iso(t),
  };
  await storage.deleteEndedSessions(iso(t), iso(t - SESSION_IDLE_MS));
  await storage.insertSession(row);
  return { token, session: toInfo({ ...row, key_name: key.name, key_revoked_at: null }) };
}

/**
 * Resolves session tokens, as KeyAuthenticator resolves keys: a short cache (a revocation
 * or a sign-out elsewhere takes effect within AUTH_CACHE_TTL_MS, as it does for a key; a
 * sign-out here at once), and last_seen_at written at most once a minute, not awaited.
 */
export class SessionAuthenticator {
  private cache = new Map<string, { row: SessionWithKey | null; until: number }>();
  private touched = new Map<string, number>();

  constructor(
    private readonly reader: Storage,
    private readonly writer: Storage = reader,
  ) {}

  async authenticate(token: string): Promise<SessionInfo | null> {
    // Not the shape of a token we issue: no lookup at all.
    if (!TOKEN_SHAPE.test(token)) return null;
    const hash = sessionTokenHash(token);
    const t = Date.now();
    const hit = this.cache.get(hash);
    let row: SessionWithKey | null;
    if (hit && hit.until > t) {
      row = hit.row;
    } else {
      row = (await this.reader.findSession(hash)) ?? null;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { row, until: t + AUTH_CACHE_TTL_MS });
    }
    if (!row || !holds(row, t)) return null;
    if ((this.touched.get(hash) ?? Date.parse(row.last_seen_at)) + TOUCH_EVERY_MS < t) {
      if (this.touched.size > 10_000) this.touched.clear();
      this.touched.set(hash, t);
      row.last_seen_at = iso(t);
      // Not awaited: a lost touch only brings the idle end a minute closer.
      this.writer.touchSession(row.org_id, hash, row.last_seen_at).catch(() => {});
    }
    return toInfo(row);
  }

  /** Signs the token's session out: its row is deleted, and this process forgets it at once. */
  async end(token: string): Promise<boolean> {
    if (!TOKEN_SHAPE.test(token)) return false;
    const hash = sessionTokenHash(token);
    this.cache.set(hash, { row: null, until: Date.now() + AUTH_CACHE_TTL_MS });
    this.touched.delete(hash);
    return this.writer.deleteSession(hash);
  }

  /** Drops the cached sessions of a key (it was revoked and its sessions deleted). */
  forgetKey(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.row?.key_id === keyId) this.cache.delete(hash);
  }

  forget(): void {
    this.cache.clear();
  }
}
