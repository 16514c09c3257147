// The handler contract is core's (core/job-handler.ts); the machinery adds its own error.
export type { JobContext, JobHandler, JobHandlers, JobOutcome } from '../core/job-handler.ts';
export type { JobStatus } from '../core/job-types.ts';
export type { JobRow } from '../store/jobs.ts';

/** The worker is stopping (SIGTERM): the job stops at its next yield and is handed back. */
export class WorkerStopping extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} stopped: the worker is shutting down`);
  }
}

/** This worker no longer holds the job's lease: another worker has it (or will). */
export class LeaseLost extends Error {
  constructor(jobId: string) {
    super(`lease of job ${jobId} was lost`);
  }
}
