import type { FieldIssue } from '../errors.ts';
import {
  type BatchChunk,
  type BatchMode,
  type BatchProgress,
  runBatch,
  type WriteSession,
} from './batch-runner.ts';

// A file import over the batch runner: the file's chunks, its problems named by line and
// column, and the result in the file's terms (rows read, rows applied).

export interface ImportProgress {
  rowsRead: number;
  rowsApplied: number;
}

export interface ImportResult extends ImportProgress {
  dryRun: boolean;
}

export interface ImportOptions {
  /** Validate every row and report every problem, but store nothing. */
  dryRun?: boolean;
  /** Called after each chunk (the jobs queue saves it for GET /v1/imports/{id}). */
  onProgress?: (p: ImportProgress) => void | Promise<void>;
  /** Issue field key (`value`, `notes`, …) → the file's column, for the write path's issues. */
  columns?: Record<string, string>;
  /**
   * Runs inside the write transaction once the whole file is good, just before it commits
   * (a job records its end there, so the data and the job's end commit together).
   */
  beforeCommit?: (result: ImportResult) => Promise<void>;
}

// The write path's issues name fields (`lines[3].value`, `rows[2].period_start`); a
// file's reader wants the column. The key is the first segment after the row.
function withColumn(issue: FieldIssue, columns: Record<string, string> | undefined): FieldIssue {
  if (issue.column !== undefined || !columns) return issue;
  const key = /^(?:lines|rows)\[\d+\]\.([A-Za-z_]+)/.exec(issue.field)?.[1];
  const column = key === undefined ? undefined : columns[key];
  return column === undefined ? issue : { ...issue, column };
}

function sortedIssues(issues: FieldIssue[], columns: Record<string, string> | undefined): FieldIssue[] {
  return issues.map((i) => withColumn(i, columns)).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

const asResult = (p: BatchProgress, mode: BatchMode): ImportResult => ({
  rowsRead: p.read,
  rowsApplied: p.applied,
  dryRun: mode === 'dry-run',
});

/**
 * Applies a file, chunk by chunk, all or nothing. Throws Invalid listing the problems
 * (by line, at most MAX_ISSUES) when any row is bad; nothing is stored then.
 */
export async function runImport(
  session: WriteSession,
  chunks: AsyncIterable<BatchChunk>,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const mode: BatchMode = opts.dryRun ? 'dry-run' : 'apply';
  const { onProgress, beforeCommit } = opts;
  const done = await runBatch(session, chunks, {
    mode,
    sourceIssues: 'writer',
    // Read at the end: a native file's columns are known only once its first row is read.
    report: (issues) => (issues.length ? sortedIssues(issues, opts.columns) : issues),
    onProgress: onProgress && ((p) => onProgress({ rowsRead: p.read, rowsApplied: p.applied })),
    beforeCommit: beforeCommit && ((p) => beforeCommit(asResult(p, mode))),
  });
  return asResult(done, mode);
}
