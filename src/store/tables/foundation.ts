// The foundation tables as Kysely sees them (rows as the store reads and writes them);
// their columns are created by migrations/0001-foundation.ts.

export interface FoundationTables {
  organizations: { id: string; name: string; created_at: string };
  api_keys: {
    id: string;
    org_id: string;
    name: string;
    /** SHA-256 of the secret, hex. The secret itself is never stored. */
    /** First 16 hex digits of the hash: the indexed lookup, before the constant-time compare. */
    lookup: string;
    secret_hash: string;
    scopes: string;
    created_at: string;
    last_used_at: string | null;
    revoked_at: string | null;
  };
  datasets: {
    id: string;
    org_id: string;
    name: string;
    description: string | null;
    created_at: string;
    updated_at: string;
    created_by: string | null;
    updated_by: string | null;
  };
  metrics: {
    id: string;
    org_id: string;
    dataset_id: string | null;
    name: string;
    description: string | null;
    unit: string | null;
    value_type: string;
    frequency: string | null;
    required: number;
    sort_order: number;
    external_id: string | null;
    created_at: string;
    updated_at: string;
    created_by: string | null;
    updated_by: string | null;
  };
  dimensions: { id: string; org_id: string; metric_id: string; name: string; position: number };
}
