import { fileImportHandlers } from '../core/imports/file-jobs.ts';
import type { JobHandlers } from './types.ts';
import { deliverWebhook, WEBHOOK_KIND } from './webhooks.ts';

// The job kinds of the core (webhooks, native file imports), one line each. Dialects add
// theirs at the composition root (src/job-handlers.ts): the machinery runs the handlers it
// is given and names no dialect.
export const coreJobHandlers: JobHandlers = {
  [WEBHOOK_KIND]: deliverWebhook,
  ...fileImportHandlers,
};
