import { NotFound } from './errors.ts';
import { isUuid } from './ids.ts';
import type { JobRecord as JobRow, JobStatus } from './job-types.ts';
import { withLiveProgress } from './live-progress.ts';
import { decodeCursor, type Page, toPage } from './paging.ts';
import type { Storage } from './ports/index.ts';

// Reading an organization's jobs (imports, Workiva operations). The queue's own jobs
// (webhook deliveries) are not the organization's business and read as not found, and so
// does a job whose payload is still being stored (staging): it is not accepted yet.

export async function getJob(storage: Storage, orgId: string, id: string, what = 'import'): Promise<JobRow> {
  const row = isUuid(id) ? await storage.findJob(orgId, id) : undefined;
  if (!row || row.internal || row.status === 'staging') throw new NotFound(what);
  return withLiveProgress(row);
}

/** Newest first; the cursor is the last id seen. */
export async function listJobsPage(
  storage: Storage,
  orgId: string,
  q: { cursor?: string; limit: number; status?: JobStatus; kind?: string },
): Promise<Page<JobRow>> {
  const after = decodeCursor(q.cursor);
  const rows = await storage.listJobs(orgId, {
    after,
    limit: q.limit + 1,
    status: q.status,
    kind: q.kind,
  });
  return toPage(rows.map(withLiveProgress), q.limit);
}
