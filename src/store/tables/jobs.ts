// The jobs tables as Kysely sees them (rows as the store reads and writes them);
// their columns are created by migrations/0003-jobs.ts.

export interface JobTables {
  jobs: {
    id: string;
    org_id: string;
    /** Which handler runs it, e.g. `workiva.batchUpsertion`. */
    kind: string;
    /** queued | running | completed | failed */
    status: string;
    /** 1 for the queue's own jobs (webhook deliveries), which imports listings leave out. */
    internal: number;
    attempts: number;
    max_attempts: number;
    /** Not claimable before this time (retry backoff). */
    run_after: string;
    /** `<worker id>/<claim token>` of the worker holding the lease. */
    lease_owner: string | null;
    lease_expires_at: string | null;
    /** Jobs with the same key run one at a time, in id (acceptance) order. */
    ordering_key: string | null;
    idempotency_key: string | null;
    /** SHA-256 of the request (kind, request key, payload): tells a replay from a reuse of the key. */
    request_hash: string | null;
    payload_bytes: number;
    received: number;
    applied: number;
    rejected: number;
    /** JSON FieldIssue[] of a failed job. */
    errors: string | null;
    /** JSON, set by the handler when the job completes. */
    result: string | null;
    /** JSON progress counters reported while running. */
    progress: string | null;
    /** JSON: the accepting request (actor, request id) and whatever the handler needs. */
    meta: string;
    /** The last infrastructure error, kept while the job waits for its retry. */
    last_error: string | null;
    created_at: string;
    updated_at: string;
    started_at: string | null;
    finished_at: string | null;
    created_by: string | null;
  };
  /** A job's payload in ~1 MB pieces, so files of hundreds of MB never sit whole in memory. */
  job_payload_chunks: {
    job_id: string;
    org_id: string;
    seq: number;
    data: Buffer;
  };
  /** One optional webhook per organization, called when one of its jobs ends. */
  webhooks: {
    org_id: string;
    url: string;
    /** The HMAC key; kept as is because signing needs it (shown once, when set). */
    secret: string;
    created_at: string;
    updated_at: string;
    created_by: string | null;
  };
}
