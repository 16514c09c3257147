import type { Kysely } from 'kysely';
import { findJob, type JobRow, type JobStatus, listJobs } from '../store/jobs.ts';
import type { DB } from '../store/schema.ts';
import { Invalid, NotFound } from './errors.ts';
import { isUuid } from './ids.ts';
import { withLiveProgress } from './live-progress.ts';
import { decodeCursor, type Page, toPage } from './paging.ts';

// Reading an organization's jobs (imports, Workiva operations). The queue's own jobs
// (webhook deliveries) are not the organization's business and read as not found, and so
// does a job whose payload is still being stored (staging): it is not accepted yet.

export async function getJob(db: Kysely<DB>, orgId: string, id: string, what = 'import'): Promise<JobRow> {
  const row = isUuid(id) ? await findJob(db, orgId, id) : undefined;
  if (!row || row.internal || row.status === 'staging') throw new NotFound(what);
  return withLiveProgress(row);
}

/** Newest first; the cursor is the last id seen. */
export async function listJobsPage(
  db: Kysely<DB>,
  orgId: string,
  q: { cursor?: string; limit: number; status?: JobStatus; kind?: string },
): Promise<Page<JobRow>> {
  const after = decodeCursor(q.cursor);
  if (after !== undefined && !isUuid(after))
    throw Invalid.field('cursor', 'is not a cursor this API gave', true);
  const rows = await listJobs(db, orgId, {
    after,
    limit: q.limit + 1,
    status: q.status,
    kind: q.kind,
  });
  return toPage(rows.map(withLiveProgress), q.limit);
}
