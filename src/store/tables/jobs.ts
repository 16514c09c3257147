import type { JobRecord, WebhookRecord } from '../../core/job-types.ts';

// The jobs tables as Kysely sees them (rows as the store reads and writes them);
// their columns are created by migrations/0003-jobs.ts. Rows core also works with are
// declared once, in core.

export interface JobTables {
  jobs: JobRecord;
  /** A job's payload in ~1 MB pieces, so files of hundreds of MB never sit whole in memory. */
  job_payload_chunks: {
    job_id: string;
    org_id: string;
    seq: number;
    data: Buffer;
  };
  /** One optional webhook per organization, called when one of its jobs ends. */
  webhooks: WebhookRecord;
}
