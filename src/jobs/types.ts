// The handler contract is core's (core/job-handler.ts); the machinery adds its own error.
export type { JobContext, JobHandler, JobHandlers, JobOutcome } from '../core/job-handler.ts';
export type { JobStatus } from '../core/job-types.ts';
export type { JobRow } from '../store/jobs.ts';

/** This worker no longer holds the job's lease: another worker has it (or will). */
export class LeaseLost extends Error {
  constructor(jobId: string) {
    super(`lease of job ${jobId} was lost`);
  }
}
