import { dialectJobHandlers, dialects } from './dialects/index.ts';
import { coreJobHandlers } from './jobs/handlers.ts';
import type { JobHandlers } from './jobs/types.ts';

// Composition root for the worker: every job kind this build knows, the core's and each
// listed dialect's. A worker claims only the kinds it knows, so an older worker never
// takes a job it cannot run.
export const jobHandlers: JobHandlers = { ...coreJobHandlers, ...dialectJobHandlers(dialects) };
