import type { ApiKeyRecord, IdempotencyRecord, Organization } from '../access-types.ts';

// Storage operations core needs for organizations, API keys, idempotency records.
export interface AccessPorts {
  insertOrganization(name: string): Promise<Organization>;
  /** Oldest first. */
  listOrganizations(): Promise<Organization[]>;

  insertApiKey(row: ApiKeyRecord): Promise<void>;
  /** The keys (usually one) whose hash starts with `lookup`. */
  findKeysByLookup(lookup: string): Promise<ApiKeyRecord[]>;
  touchApiKey(id: string, at: string): Promise<void>;
  countApiKeys(): Promise<number>;

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
