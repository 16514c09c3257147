import { type FieldIssue, Invalid } from '../../core/errors.ts';
import type { PointInput, PointWriter } from '../../core/points/point-input.ts';
import { withPointWriter } from '../../core/points/write.ts';
import { issueIndex } from '../../jobs/issues.ts';
import { payloadLines } from '../../jobs/payload.ts';
import type { JobContext, JobHandler } from '../../jobs/types.ts';
import { withPinnedConnection } from '../../store/pinned.ts';
import { createStorage } from '../../store/storage.ts';
import { PeriodCache, toPointInput, valuesPath } from './mapping.ts';
import type { MetricValueInputT } from './schemas.ts';

// The jobs behind Workiva's batch endpoints. The payload is the validated `data` list as
// NDJSON (one value per line, stored in ~1 MB chunks); each chunk is mapped, written, and
// followed by a yield so the API keeps answering while a 10 MB batch is applied.

export const WORKIVA_UPSERT = 'workiva.batchUpsertion';
export const WORKIVA_DELETE = 'workiva.batchDeletion';

export interface WorkivaJobMeta {
  programId: string;
  metricId: string;
}

const MAX_ISSUES = 1000;
/**
 * Values handed to the writer at once. SQLite runs synchronously, so each add() holds the
 * event loop for its whole duration: small enough to keep that under ~100 ms, big enough
 * for multi-row statements to pay off.
 */
const WRITE_BATCH = 1000;

const byIndex = (a: FieldIssue, b: FieldIssue) => (issueIndex(a) ?? -1) - (issueIndex(b) ?? -1);

function runBatch(ctx: JobContext, apply: (w: PointWriter, inputs: PointInput[]) => Promise<unknown>) {
  const { metricId, programId } = ctx.meta as unknown as WorkivaJobMeta;
  const mapIssues: FieldIssue[] = [];
  const periods = new PeriodCache();
  let received = 0;
  return withPinnedConnection(ctx.store, (pinned, joined) =>
    withPointWriter(createStorage(pinned), ctx.actor, async (w) => {
      for await (const lines of payloadLines(ctx.payload())) {
        const values = lines.filter((l) => l.length > 0).map((l) => JSON.parse(l) as MetricValueInputT);
        const issues: FieldIssue[] = [];
        const inputs: PointInput[] = [];
        values.forEach((v, i) => {
          const input = toPointInput(v, metricId, received + i, periods, issues);
          if (input) inputs.push(input);
        });
        received += values.length;
        for (const i of issues) if (mapIssues.length < MAX_ISSUES) mapIssues.push(i);
        for (let i = 0; i < inputs.length; i += WRITE_BATCH) {
          await apply(w, inputs.slice(i, i + WRITE_BATCH));
          ctx.progress({ read: received, applied: w.applied });
          await ctx.yield();
        }
      }
      if (mapIssues.length) throw new Invalid([...mapIssues, ...w.issues].sort(byIndex).slice(0, MAX_ISSUES));
      if (w.issues.length) return undefined; // the writer rolls back and throws Invalid with them
      const outcome = { received, applied: w.applied, result: { url: valuesPath(programId, metricId) } };
      // The job ends in the write's own transaction: both commit, or neither.
      await ctx.finish(joined, outcome);
      return outcome;
    }),
  );
}

export const workivaUpsert: JobHandler = (ctx) => runBatch(ctx, (w, inputs) => w.add(inputs));
export const workivaDelete: JobHandler = (ctx) => runBatch(ctx, (w, inputs) => w.remove(inputs));
