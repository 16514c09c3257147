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
  created_at: string;
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
