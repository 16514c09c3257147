import { Readable } from 'node:stream';
import { importAchieveItFile } from '../core/imports/achieveit-import.ts';
import type { AchieveItFile } from '../core/imports/achieveit-rows.ts';
import type { ImportProgress, ImportResult } from '../core/imports/run-import.ts';
import type { JobContext, JobHandler, JobOutcome } from './types.ts';

// The jobs that apply uploaded files. The file was stored with the job; it is read back
// a chunk at a time, and each chunk's progress is reported (GET /v1/imports/{id} shows it)
// before the event loop is let go, so the API keeps answering.

export const ACHIEVEIT_JOB_KINDS: Record<AchieveItFile, string> = {
  metricupdates: 'achieveit.metricupdates',
  progressupdates: 'achieveit.progressupdates',
};

export function progressReporter(ctx: JobContext): (p: ImportProgress) => Promise<void> {
  return async (p) => {
    ctx.progress({ rows_read: p.rowsRead, rows_applied: p.rowsApplied });
    await ctx.yield();
  };
}

export const payloadStream = (ctx: JobContext): Readable =>
  Readable.from(ctx.payload(), { objectMode: false });

export function importOutcome(result: ImportResult): JobOutcome {
  return {
    received: result.rowsRead,
    applied: result.rowsApplied,
    result: { rows_read: result.rowsRead, rows_applied: result.rowsApplied, dry_run: result.dryRun },
  };
}

const achieveItHandler =
  (file: AchieveItFile): JobHandler =>
  async (ctx) =>
    importOutcome(
      await importAchieveItFile(ctx.store, ctx.actor, file, payloadStream(ctx), {
        onProgress: progressReporter(ctx),
      }),
    );

export const fileImportHandlers: Record<string, JobHandler> = {
  [ACHIEVEIT_JOB_KINDS.metricupdates]: achieveItHandler('metricupdates'),
  [ACHIEVEIT_JOB_KINDS.progressupdates]: achieveItHandler('progressupdates'),
};
