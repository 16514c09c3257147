import type { FieldIssue } from '../../core/errors.ts';
import { type BatchChunk, runBatch } from '../../core/imports/batch-runner.ts';
import { payloadLines } from '../../core/imports/payload-lines.ts';
import { readAhead, takeAhead } from '../../core/imports/read-ahead.ts';
import type { JobContext, JobHandler, JobOutcome, QueuedJob } from '../../core/job-handler.ts';
import { issueIndex } from '../../core/job-issues.ts';
import { MAX_ISSUES, type PointInput } from '../../core/points/point-input.ts';
import { withPointWriter } from '../../core/points/write.ts';
import { PeriodCache, toPointInput, valuesPath } from './mapping.ts';
import type { MetricValueInputT } from './schemas.ts';

// The jobs behind Workiva's batch endpoints. The payload is the validated `data` list as
// NDJSON (one value per line, stored in ~1 MB chunks); its values are mapped to inputs a
// thousand at a time and written by the batch runner, which yields after each write so the
// API keeps answering while a 10 MB batch is applied. Where the engine reads beside a write
// (PostgreSQL), the metric's next batch is read and checked while this one is written
// (read-ahead.ts).

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

/**
 * Values read ahead per turn of the event loop: the write beside it waits for the turn to
 * end before its next statement goes out.
 */
const AHEAD_CHUNK = 250;

const byIndex = (a: FieldIssue, b: FieldIssue) => (issueIndex(a) ?? -1) - (issueIndex(b) ?? -1);

/** The payload's values as inputs, WRITE_BATCH at a time; values that do not map are issues. */
async function* valueChunks(
  payload: AsyncIterable<Buffer>,
  metricId: string,
  size = WRITE_BATCH,
): AsyncGenerator<BatchChunk> {
  const periods = new PeriodCache();
  let received = 0;
  for await (const all of payloadLines(payload)) {
    const lines = all.filter((l) => l.length > 0);
    for (let at = 0; at < lines.length; at += size) {
      const values = lines.slice(at, at + size).map((l) => JSON.parse(l) as MetricValueInputT);
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
}

/** A queued Workiva job's chunks, to read ahead; undefined for another kind of job. */
function queuedChunks(job: QueuedJob): AsyncIterable<BatchChunk> | undefined {
  if (job.kind !== WORKIVA_UPSERT && job.kind !== WORKIVA_DELETE) return undefined;
  return valueChunks(job.payload(), (job.meta as unknown as WorkivaJobMeta).metricId, AHEAD_CHUNK);
}

/** This job's chunks: as read ahead while the batch before it was written, or read now. */
async function* jobChunks(ctx: JobContext): AsyncGenerator<BatchChunk> {
  const ready = await takeAhead(ctx.job.id);
  if (ready) yield* ready;
  else yield* valueChunks(ctx.payload(), (ctx.meta as unknown as WorkivaJobMeta).metricId);
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
  return ctx.write(async (storage, finish, lookups) =>
    outcome(
      await runBatch(
        (mode, fn) => withPointWriter(storage, ctx.actor, fn, [], { validateOnly: mode === 'dry-run' }),
        jobChunks(ctx),
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
          // Only where reads run beside the write: on SQLite they would wait for it.
          beforeFlush: lookups && (() => void readAhead(ctx, lookups, queuedChunks)),
          // The job ends in the write's own transaction: both commit, or neither.
          beforeCommit: (p) => finish(outcome(p)),
        },
      ),
    ),
  );
}

export const workivaUpsert: JobHandler = (ctx) => runWorkivaBatch(ctx, 'add');
export const workivaDelete: JobHandler = (ctx) => runWorkivaBatch(ctx, 'remove');
