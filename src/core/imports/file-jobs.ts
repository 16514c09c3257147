import { Readable } from 'node:stream';
import type { JobContext, JobHandler, JobOutcome } from '../job-handler.ts';
import type { ColumnMapping, ImportFormat } from './column-mapping.ts';
import { type ImportSession, importSession } from './import-session.ts';
import { importNativeFile } from './native-import.ts';
import type { ImportOptions, ImportProgress, ImportResult } from './run-import.ts';

// The jobs that apply uploaded files. The file was stored with the job; it is read back
// a chunk at a time, and each chunk's progress is reported (GET /v1/imports/{id} shows it)
// before the event loop is let go, so the API keeps answering.

export function progressReporter(ctx: JobContext): (p: ImportProgress) => Promise<void> {
  return async (p) => {
    ctx.progress({ rows_read: p.rowsRead, rows_applied: p.rowsApplied });
    await ctx.yield();
  };
}

/** Pieces a parser takes at once: a 1 MB payload chunk would be parsed in one go (~30k rows). */
const PARSE_SLICE_BYTES = 64 * 1024;

async function* sliced(chunks: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i += PARSE_SLICE_BYTES) yield chunk.subarray(i, i + PARSE_SLICE_BYTES);
  }
}

export const payloadStream = (ctx: JobContext): Readable =>
  Readable.from(sliced(ctx.payload()), { objectMode: false });

export function importOutcome(result: ImportResult): JobOutcome {
  return {
    received: result.rowsRead,
    applied: result.rowsApplied,
    result: { rows_read: result.rowsRead, rows_applied: result.rowsApplied, dry_run: result.dryRun },
  };
}

export type FileImport = (on: ImportSession, source: Readable, opts: ImportOptions) => Promise<ImportResult>;

/**
 * Runs a file import as this job: the job's end is recorded in the import's own write
 * transaction, so the data and the end commit together and a retried job never applies
 * a file twice. (A dry run writes nothing; the worker records its end.)
 */
export function fileJob(ctx: JobContext, apply: FileImport, dryRun = false): Promise<JobOutcome> {
  return ctx.write(async (storage, finish, lookups) =>
    importOutcome(
      await apply(importSession(storage, ctx.actor, lookups), payloadStream(ctx), {
        dryRun,
        onProgress: progressReporter(ctx),
        beforeCommit: (result) => finish(importOutcome(result)),
      }),
    ),
  );
}

/** What the upload routes store with every file: the limits of the API that accepted it. */
export interface FileImportLimits {
  /** KPIHUB_IMPORT_MAX_FIELD_BYTES when the file was accepted (older jobs: the default). */
  max_field_bytes?: number;
}

export const NATIVE_IMPORT_KIND = 'native.import';

/** What POST /v1/imports stores with the file. */
export interface NativeImportMeta extends FileImportLimits {
  format: ImportFormat;
  header: boolean;
  dry_run: boolean;
  mapping?: ColumnMapping;
  filename?: string;
}

const nativeImportHandler: JobHandler = (ctx) => {
  const meta = ctx.meta as unknown as NativeImportMeta;
  const spec = {
    format: meta.format,
    header: meta.header,
    mapping: meta.mapping,
    maxFieldBytes: meta.max_field_bytes,
  };
  return fileJob(
    ctx,
    (on, source, opts) => importNativeFile(on.ports, on.session, ctx.actor.orgId, spec, source, opts),
    meta.dry_run,
  );
};

export const fileImportHandlers: Record<string, JobHandler> = {
  [NATIVE_IMPORT_KIND]: nativeImportHandler,
};
