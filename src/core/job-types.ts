// Jobs and webhooks as storage holds them (see src/store/migrations/0003-jobs.ts for what
// each column means).

/** A job's status as clients see it. */
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface JobRecord {
  id: string;
  org_id: string;
  kind: string;
  /** A JobStatus, or 'staging' while a big payload is still being stored. */
  status: string;
  /** 1 for the queue's own jobs (webhook deliveries). */
  internal: number;
  attempts: number;
  max_attempts: number;
  run_after: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  ordering_key: string | null;
  idempotency_key: string | null;
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
  last_error: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  created_by: string | null;
}

export interface JobFilter {
  /** Id before which to start (newest first). */
  after?: string;
  limit: number;
  status?: JobStatus;
  kind?: string;
}

/** An organization's one webhook; `secret` is the HMAC key that signs each call. */
export interface WebhookRecord {
  org_id: string;
  url: string;
  secret: string;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}
