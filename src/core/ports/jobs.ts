import type { JobFilter, JobRecord, WebhookRecord } from '../job-types.ts';

// Storage operations core needs for jobs and webhooks (as core sees them; the queue's own
// machinery, src/jobs, works on the store directly).
export interface JobPorts {
  findJob(orgId: string, id: string): Promise<JobRecord | undefined>;
  /** An organization's jobs (not the queue's internal ones, nor those still staging), newest first. */
  listJobs(orgId: string, filter: JobFilter): Promise<JobRecord[]>;

  findWebhook(orgId: string): Promise<WebhookRecord | undefined>;
  /** Inserts, or replaces url and secret (keeping created_at/created_by). */
  upsertWebhook(row: WebhookRecord): Promise<void>;
  /** False when there was none. */
  deleteWebhook(orgId: string): Promise<boolean>;
}
