import { achieveItJobHandlers } from '../dialects/achieveit/csv-jobs.ts';
import { WORKIVA_DELETE, WORKIVA_UPSERT, workivaDelete, workivaUpsert } from '../dialects/workiva/jobs.ts';
import { fileImportHandlers } from './file-import-handlers.ts';
import type { JobHandlers } from './types.ts';
import { deliverWebhook, WEBHOOK_KIND } from './webhooks.ts';

// Every job kind and its handler, one line each. A worker claims only the kinds it knows,
// so an older worker never takes a job it cannot run.
export const jobHandlers: JobHandlers = {
  [WEBHOOK_KIND]: deliverWebhook,
  ...fileImportHandlers,
  ...achieveItJobHandlers,
  [WORKIVA_UPSERT]: workivaUpsert,
  [WORKIVA_DELETE]: workivaDelete,
};
