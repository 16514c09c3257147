import type {
  ApiKeyRecord,
  IdempotencyRecord,
  Organization,
  SessionRecord,
  SessionWithKey,
} from '../access-types.ts';

// Storage operations core needs for organizations, API keys, idempotency records.
export interface AccessPorts {
  insertOrganization(name: string): Promise<Organization>;
  /** Oldest first. */
  listOrganizations(): Promise<Organization[]>;
  findOrganization(id: string): Promise<Organization | undefined>;

  insertApiKey(row: ApiKeyRecord): Promise<void>;
  /** The keys (usually one) whose hash starts with `lookup`. */
  findKeysByLookup(lookup: string): Promise<ApiKeyRecord[]>;
  touchApiKey(orgId: string, id: string, at: string): Promise<void>;
  countApiKeys(): Promise<number>;
  /** The organization's keys after the id `after`, in id order; revoked ones only when asked. */
  listApiKeys(
    orgId: string,
    opts: { after?: string; limit: number; includeRevoked: boolean },
  ): Promise<ApiKeyRecord[]>;
  /** One of the organization's keys, revoked or not. */
  findApiKey(orgId: string, id: string): Promise<ApiKeyRecord | undefined>;
  /** Sets `revoked_at` on the organization's active key; false when there is none. */
  revokeApiKey(orgId: string, id: string, at: string): Promise<boolean>;

  insertSession(row: SessionRecord): Promise<void>;
  /** The session whose token hashes to `tokenHash`, with its key's name and revocation. */
  findSession(tokenHash: string): Promise<SessionWithKey | undefined>;
  touchSession(orgId: string, tokenHash: string, at: string): Promise<void>;
  /** True when there was such a session. */
  deleteSession(tokenHash: string): Promise<boolean>;
  /** Deletes every session signed in with the key; how many there were. */
  deleteSessionsOfKey(orgId: string, keyId: string): Promise<number>;
  /** Deletes the sessions past their end (`expires_at` before `now`) or idle since before `idleBefore`. */
  deleteEndedSessions(now: string, idleBefore: string): Promise<number>;

  findIdempotencyKey(orgId: string, key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Takes the key for this request: true when it was free, expired (before `expiredBefore`)
   * or left `processing` by a request that died (created before `staleBefore`).
   */
  claimIdempotencyKey(row: IdempotencyRecord, expiredBefore: string, staleBefore: string): Promise<boolean>;
  completeIdempotencyKey(
    orgId: string,
    key: string,
    response: { status_code: number; response_body: string; response_type: string | null },
  ): Promise<void>;
  releaseIdempotencyKey(orgId: string, key: string): Promise<void>;
}
