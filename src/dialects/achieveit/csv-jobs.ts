import { type FileImportLimits, fileJob } from '../../core/imports/file-jobs.ts';
import type { JobHandler } from '../../core/job-handler.ts';
import { importAchieveItFile } from './csv-import.ts';
import type { AchieveItFile } from './csv-rows.ts';

// The jobs that apply uploaded AchieveIt files, one kind per file.

export const ACHIEVEIT_JOB_KINDS: Record<AchieveItFile, string> = {
  metricupdates: 'achieveit.metricupdates',
  progressupdates: 'achieveit.progressupdates',
};

const achieveItHandler =
  (file: AchieveItFile): JobHandler =>
  (ctx) => {
    const { max_field_bytes } = ctx.meta as FileImportLimits;
    return fileJob(ctx, (on, source, opts) =>
      importAchieveItFile(on.ports, on.session, ctx.actor.orgId, file, source, {
        ...opts,
        maxFieldBytes: max_field_bytes,
      }),
    );
  };

export const achieveItJobHandlers: Record<string, JobHandler> = {
  [ACHIEVEIT_JOB_KINDS.metricupdates]: achieveItHandler('metricupdates'),
  [ACHIEVEIT_JOB_KINDS.progressupdates]: achieveItHandler('progressupdates'),
};
