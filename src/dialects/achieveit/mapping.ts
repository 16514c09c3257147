import { jobIssues } from '../../core/import-view.ts';
import type { JobRecord as JobRow } from '../../core/job-types.ts';
import type { JobStatusBody } from './schemas.ts';

// A job as AchieveIt's status route answers it: the state is the HTTP status (202 while
// queued or processing, 200 applied, 400 the file was rejected, 500 we failed), and the
// body says the same in words, with every bad row of a rejected file.

function counters(job: JobRow): { rowsRead: number; rowsApplied: number } {
  const progress = job.progress ? (JSON.parse(job.progress) as Record<string, number>) : {};
  return {
    rowsRead: job.status === 'completed' ? Number(job.received) : (progress.rows_read ?? 0),
    rowsApplied: job.status === 'completed' ? Number(job.applied) : (progress.rows_applied ?? 0),
  };
}

export function toJobStatus(job: JobRow): { code: 200 | 202 | 400 | 500; body: JobStatusBody } {
  const meta = JSON.parse(job.meta) as { filename?: string };
  const base = {
    jobId: job.id,
    fileName: meta.filename ?? null,
    ...counters(job),
    errors: [] as JobStatusBody['errors'],
    createdAt: job.created_at,
    finishedAt: job.finished_at,
  };
  if (job.status === 'queued') return { code: 202, body: { ...base, status: 'queued' } };
  if (job.status === 'running') return { code: 202, body: { ...base, status: 'processing' } };
  if (job.status === 'completed') return { code: 200, body: { ...base, status: 'completed' } };
  // A file's problems always name their line; a job that failed on our side (retries
  // exhausted) carries a message without one.
  const issues = jobIssues(job);
  if (issues.some((i) => i.line !== undefined)) {
    return {
      code: 400,
      body: {
        ...base,
        status: 'rejected',
        message:
          'The file was rejected: nothing was applied. Fix the rows listed in errors and send it again.',
        errors: issues.map((i) => ({
          ...(i.line === undefined ? {} : { line: i.line }),
          ...(i.column === undefined ? {} : { column: i.column }),
          field: i.field,
          reason: i.message,
        })),
      },
    };
  }
  return {
    code: 500,
    body: { ...base, status: 'failed', message: 'The file could not be processed; nothing was applied.' },
  };
}
