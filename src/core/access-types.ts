// Organizations, API keys and Idempotency-Key records as storage holds them.

export interface Organization {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeyRecord {
  id: string;
  org_id: string;
  name: string;
  /** First 16 hex digits of the secret's hash: the indexed lookup, before the constant-time compare. */
  lookup: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  secret_hash: string;
  /** Comma-separated scopes. */
  scopes: string;
  /** The first characters of the secret, safe to show; null for keys made before it was kept. */
  prefix: string | null;
  created_at: string;
  /** The key whose holder created this one; null when the CLI or the first start made it. */
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface IdempotencyRecord {
  org_id: string;
  key: string;
  request_hash: string;
  /** processing | done */
  state: string;
  status_code: number | null;
  response_body: string | null;
  response_type: string | null;
  created_at: string;
  expires_at: string;
}

/** A browser session: an API key exchanged for a random token the browser keeps in a cookie. */
export interface SessionRecord {
  /** SHA-256 of the session token, hex. The token itself is never stored. */
  token_hash: string;
  org_id: string;
  /** The key signed in with: revoking it ends the session. */
  key_id: string;
  /** Comma-separated scopes, the key's at sign-in. */
  scopes: string;
  created_at: string;
  /** The absolute end of the session, however often it is used. */
  expires_at: string;
  /** Its last use, kept to the minute: the idle timeout counts from here. */
  last_seen_at: string;
}

/** A session as its lookup finds it: with the name and the revocation of its key. */
export interface SessionWithKey extends SessionRecord {
  key_name: string;
  key_revoked_at: string | null;
}
