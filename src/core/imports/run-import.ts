import type { Store } from '../../store/database.ts';
import { createStorage } from '../../store/storage.ts';
import type { Actor } from '../context.ts';
import { type FieldIssue, Invalid } from '../errors.ts';
import { MAX_ISSUES, type PointInput } from '../points/point-input.ts';
import { withPointWriter } from '../points/write.ts';

// The one loop every file import runs: chunks of rows, already checked by the file's own
// rules, go to the write path inside one transaction. The file's problems and the write
// path's are reported together; any problem rolls the whole file back.

/** One chunk of a file: the inputs its good rows make, and the problems of its bad rows. */
export interface RowChunk {
  inputs: PointInput[];
  issues: FieldIssue[];
  /** Data rows this chunk read (a header row is not one). */
  rowsRead: number;
}

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

class DryRunDone extends Error {
  constructor(readonly progress: ImportProgress) {
    super('dry run');
  }
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

/**
 * Applies a file, chunk by chunk, all or nothing. Throws Invalid listing the problems
 * (by line, at most MAX_ISSUES) when any row is bad; nothing is stored then.
 */
export async function runImport(
  store: Store,
  actor: Actor,
  chunks: AsyncIterable<RowChunk>,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  // The write path writes only while it has found no problem. A dry run starts it with a
  // placeholder problem so it only validates, and takes the placeholder out at the end.
  const placeholder: FieldIssue = { field: '', message: 'dry run' };
  try {
    return await withPointWriter(createStorage(store), actor, async (w) => {
      if (opts.dryRun) w.issues.push(placeholder);
      let rowsRead = 0;
      // The file's own problems join the write path's: from the first one on, it stops
      // writing and only validates.
      const report = (issues: FieldIssue[]) => {
        for (const issue of issues) {
          if (w.issues.length >= MAX_ISSUES) break;
          w.issues.push(issue);
        }
      };
      try {
        for await (const chunk of chunks) {
          rowsRead += chunk.rowsRead;
          report(chunk.issues);
          await w.add(chunk.inputs);
          await opts.onProgress?.({ rowsRead, rowsApplied: opts.dryRun ? 0 : w.applied });
        }
      } catch (e) {
        // A file that stops making sense (a quote never closed) ends the reading; what
        // was found up to there is reported with it.
        if (!(e instanceof Invalid)) throw e;
        report(e.issues);
      }
      if (opts.dryRun) w.issues.splice(w.issues.indexOf(placeholder), 1);
      if (w.issues.length) throw new Invalid(sortedIssues(w.issues, opts.columns));
      // Nothing was written, but the transaction is rolled back all the same.
      if (opts.dryRun) throw new DryRunDone({ rowsRead, rowsApplied: 0 });
      const result = { rowsRead, rowsApplied: w.applied, dryRun: false };
      await opts.beforeCommit?.(result);
      return result;
    });
  } catch (e) {
    if (e instanceof DryRunDone) return { ...e.progress, dryRun: true };
    throw e;
  }
}
