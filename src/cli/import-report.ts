import { Presets, SingleBar } from 'cli-progress';
import type { ImportError, ImportView } from '../core/import-view.ts';

// What `kpihub import` shows: a progress bar on a terminal (plain lines otherwise, so logs
// and CI output stay readable) and, at the end, the job's status, counts and first errors.

const rowsRead = (v: ImportView): number => v.progress?.rows_read ?? v.received;
const rowsApplied = (v: ImportView): number => v.progress?.rows_applied ?? v.applied;
const isDryRun = (v: ImportView): boolean => v.result?.dry_run === true;

export const isFinished = (v: ImportView): boolean => v.status === 'completed' || v.status === 'failed';

const bytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`;

/** One error as a person fixing the file wants it: where first, then why. */
export function describeError(e: ImportError): string {
  const where: string[] = [];
  if (e.line !== null) where.push(`line ${e.line}`);
  else if (e.index !== null) where.push(`item ${e.index}`);
  if (e.column !== null) where.push(`column ${e.column}`);
  // The field says what the line and column cannot: `rows[3].value`, `mapping.date`.
  return `${where.length ? `${where.join(', ')} ` : ''}(${e.field}): ${e.reason}`;
}

/** The end of a job in a few lines: status, counts, duration, the first `maxErrors` errors. */
export function describeJob(v: ImportView, maxErrors: number): string[] {
  const ms = v.duration_ms;
  const took = ms === null ? '' : ms < 1000 ? ` in ${ms} ms` : ` in ${(ms / 1000).toFixed(1)} s`;
  const read = rowsRead(v);
  const counts = isDryRun(v)
    ? `dry run, ${read} rows checked, nothing stored`
    : `${read} rows read, ${rowsApplied(v)} applied${v.rejected ? `, ${v.rejected} rejected` : ''}`;
  const lines = [`import ${v.id} ${v.status}${took}: ${counts}`];
  if (v.status === 'completed' && v.result_url) lines.push(`data: ${v.result_url}`);
  const total = Math.max(v.errors.length, v.rejected);
  if (v.errors.length) {
    lines.push(total > maxErrors ? `first ${maxErrors} of ${total} errors:` : 'errors:');
    for (const e of v.errors.slice(0, maxErrors)) lines.push(`  ${describeError(e)}`);
  }
  return lines;
}

/**
 * A running estimate of a file's rows from its newlines, counted as the upload streams it:
 * the bar gets a total without reading the file twice. CSV quoted newlines and JSON arrays
 * make it a guess, so the bar never lets it fall below the rows already read.
 */
export class RowEstimate {
  private newlines = 0;
  private last = 10;
  constructor(
    private readonly format: string | undefined,
    private readonly header: boolean,
  ) {}

  see(chunk: Buffer): void {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.newlines++;
    this.last = chunk.length ? chunk[chunk.length - 1] : this.last;
  }

  /** Rows the file seems to hold; undefined when lines say nothing (a JSON array). */
  rows(): number | undefined {
    if (this.format !== 'csv' && this.format !== 'ndjson') return undefined;
    const lines = this.newlines + (this.last === 10 ? 0 : 1);
    return Math.max(0, lines - (this.format === 'csv' && this.header ? 1 : 0));
  }
}

export interface Progress {
  uploading(sent: number): void;
  job(v: ImportView): void;
  stop(): void;
}

/** A bar on a terminal: bytes while uploading (`size` given), then rows read of the estimate. */
export function barProgress(
  out: NodeJS.WriteStream,
  size: number | undefined,
  estimate: RowEstimate,
): Progress {
  const bar = new SingleBar(
    {
      stream: out,
      format: '{phase} [{bar}] {percentage}% | {detail}',
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    Presets.shades_classic,
  );
  const of = size === undefined ? '' : ` of ${bytes(size)}`;
  bar.start(Math.max(size ?? 1, 1), 0, {
    phase: size === undefined ? 'import' : 'upload',
    detail: `0 B${of}`,
  });
  return {
    uploading(sent) {
      bar.update(sent, { detail: `${bytes(sent)}${of}` });
    },
    job(v) {
      const read = rowsRead(v);
      bar.setTotal(Math.max(estimate.rows() ?? read, read, 1));
      bar.update(read, {
        phase: v.status === 'queued' ? 'queued' : 'import',
        detail: `${read} rows read, ${rowsApplied(v)} applied`,
      });
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Plain lines: each change of status, and of counts at most once a second while it runs.
 * `upload` names the file this run sent, for the first line.
 */
export function lineProgress(
  write: (line: string) => void,
  upload?: { file: string; size: number },
): Progress {
  let status = '';
  let counts = '';
  let at = 0;
  return {
    uploading() {},
    job(v) {
      // The end is the final report's to say.
      if (isFinished(v)) return;
      const now = `${rowsRead(v)} rows read, ${rowsApplied(v)} applied`;
      if (v.status === status && (now === counts || Date.now() - at < 1000)) return;
      status = v.status;
      counts = now;
      at = Date.now();
      if (v.status !== 'queued') write(`import ${v.id} ${v.status}: ${now}`);
      else write(`import ${v.id} queued${upload ? ` (uploaded ${upload.file}, ${bytes(upload.size)})` : ''}`);
    },
    stop() {},
  };
}
