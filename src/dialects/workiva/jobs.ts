import type { FieldIssue } from '../../core/errors.ts';
import { type BatchChunk, runBatch } from '../../core/imports/batch-runner.ts';
import { payloadLines } from '../../core/imports/payload-lines.ts';
import type { JobContext, JobHandler, JobOutcome } from '../../core/job-handler.ts';
import { issueIndex } from '../../core/job-issues.ts';
import { MAX_ISSUES, type PointInput } from '../../core/points/point-input.ts';
import { withPointWriter } from '../../core/points/write.ts';
import { PeriodCache, toPointInput, valuesPath } from './mapping.ts';
import type { MetricValueInputT } from './schemas.ts';

// The jobs behind Workiva's batch endpoints. The payload is the validated `data` list as
// NDJSON (one value per line, stored in ~1 MB chunks); each chunk is mapped to inputs and
// written by the batch runner, which yields after each write so the API keeps answering
// while a 10 MB batch is applied.

export const WORKIVA_UPSERT = 'workiva.batchUpsertion';
export const WORKIVA_DELETE = 'workiva.batchDeletion';

export interface WorkivaJobMeta {
  programId: string;
  metricId: string;
}

/**
 * Values handed to the writer at once. SQLite runs synchronously, so each add() holds the
 * event loop for its whole duration: small enough to keep that under ~100 ms, big enough
 * for multi-row statements to pay off.
 */
const WRITE_BATCH = 1000;

const byIndex = (a: FieldIssue, b: FieldIssue) => (issueIndex(a) ?? -1) - (issueIndex(b) ?? -1);

/** The payload's values as inputs, chunk by chunk; values that do not map are issues. */
async function* valueChunks(ctx: JobContext): AsyncGenerator<BatchChunk> {
  const { metricId } = ctx.meta as unknown as WorkivaJobMeta;
  const periods = new PeriodCache();
  let received = 0;
  for await (const lines of payloadLines(ctx.payload())) {
    const values = lines.filter((l) => l.length > 0).map((l) => JSON.parse(l) as MetricValueInputT);
    const issues: FieldIssue[] = [];
    const inputs: PointInput[] = [];
    values.forEach((v, i) => {
      const input = toPointInput(v, metricId, received + i, periods, issues);
      if (input) inputs.push(input);
    });
    received += values.length;
    yield { inputs, issues, read: values.length };
  }
}

// The mapping's problems and the writer's, by value index; the writer's alone as it lists them.
const report = (writerIssues: FieldIssue[], mapIssues: FieldIssue[]) =>
  mapIssues.length ? [...mapIssues, ...writerIssues].sort(byIndex).slice(0, MAX_ISSUES) : writerIssues;

function runWorkivaBatch(ctx: JobContext, op: 'add' | 'remove'): Promise<JobOutcome> {
  const { metricId, programId } = ctx.meta as unknown as WorkivaJobMeta;
  const outcome = (p: { read: number; applied: number }): JobOutcome => ({
    received: p.read,
    applied: p.applied,
    result: { url: valuesPath(programId, metricId) },
  });
  return ctx.write(async (storage, finish) =>
    outcome(
      await runBatch(
        (mode, fn) => withPointWriter(storage, ctx.actor, fn, [], { validateOnly: mode === 'dry-run' }),
        valueChunks(ctx),
        {
          mode: 'apply',
          op,
          writeSize: WRITE_BATCH,
          // A batch is at most 10 MB (about 77,000 values): sorted in memory, not staged in a table.
          keepInMemory: 100_000,
          sourceIssues: 'apart',
          report,
          onProgress: async (p) => {
            ctx.progress({ read: p.read, applied: p.applied });
            await ctx.yield();
          },
          // The job ends in the write's own transaction: both commit, or neither.
          beforeCommit: (p) => finish(outcome(p)),
        },
      ),
    ),
  );
}

export const workivaUpsert: JobHandler = (ctx) => runWorkivaBatch(ctx, 'add');
export const workivaDelete: JobHandler = (ctx) => runWorkivaBatch(ctx, 'remove');
