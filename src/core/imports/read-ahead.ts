import { setImmediate as nextTurn } from 'node:timers/promises';
import type { JobContext, QueuedJob } from '../job-handler.ts';
import { MetricCache } from '../points/metric-cache.ts';
import { checkInputs } from '../points/writer.ts';
import type { Storage } from '../ports/index.ts';
import type { BatchChunk } from './batch-runner.ts';

// The next batch of an ordered queue (a Workiva metric's) read and checked while the batch
// before it is written (issue 14). On PostgreSQL a batch's write keeps the database busy on
// one connection with the server half idle, and the next batch's parse and checks used to
// run only after it, with the database idle. What is read ahead is kept here, by job id,
// until that job runs in this process and takes it; a job another process claims leaves it
// to expire. The checks are only used if the metrics still read the same when the job runs
// (PointWriter.add), and a payload never changes: a job runs the same either way.

/** Jobs read ahead and not yet taken, at most: each holds a batch checked (~55 MB of heap for 10 MB). */
const KEEP = 2;
/** How long a batch read ahead waits for its job to run here. */
const KEEP_MS = 120_000;

interface Ahead {
  chunks: Promise<BatchChunk[] | undefined>;
  timer: NodeJS.Timeout;
  /** Stops the reading when the entry is dropped unused: KEEP bounds the work, not only the map. */
  stop: AbortController;
}

const ahead = new Map<string, Ahead>();

/** Jobs that took (or looked for) their read-ahead lately: a late look ahead keeps none for them. */
const started = new Set<string>();
const STARTED_KEPT = 64;

/** The entry, out of the map (its reading goes on, for whoever holds its chunks). */
function remove(jobId: string): Ahead | undefined {
  const a = ahead.get(jobId);
  if (a) clearTimeout(a.timer);
  ahead.delete(jobId);
  return a;
}

/** The entry, dropped unused: its reading stops. */
function drop(jobId: string): void {
  remove(jobId)?.stop.abort();
}

/**
 * Starts reading and checking the job queued next after `ctx`'s under its ordering key, if
 * `source` maps its kind (it returns the job's chunks, or undefined for a kind it does not
 * read). Reads metrics through `lookups`, beside the running write. Resolves once the look
 * is kept (or there is none), before the reading ends; never rejects: a look ahead that
 * fails is dropped, and its job reads its own payload.
 */
export async function readAhead(
  ctx: JobContext,
  lookups: Storage,
  source: (job: QueuedJob) => AsyncIterable<BatchChunk> | undefined,
): Promise<void> {
  try {
    const next = await ctx.nextInOrder();
    const chunks = next && !ahead.has(next.id) && !started.has(next.id) ? source(next) : undefined;
    if (!next || !chunks) return;
    const stop = new AbortController();
    // One read of each metric for the whole batch; a chunk checked against a definition that
    // changed since is checked again by the writer all the same.
    const metrics = new MetricCache(lookups, ctx.actor.orgId);
    const read = async () => {
      const out: BatchChunk[] = [];
      for await (const chunk of chunks) {
        if (stop.signal.aborted) return undefined;
        const checked = await checkInputs(lookups, ctx.actor.orgId, chunk.inputs, metrics);
        out.push(checked ? { ...chunk, checked } : chunk);
        // The write this runs beside needs the event loop to keep its database busy.
        await nextTurn();
      }
      return out;
    };
    for (const id of [...ahead.keys()].slice(0, Math.max(0, ahead.size - KEEP + 1))) drop(id);
    ahead.set(next.id, {
      chunks: read().catch(() => undefined),
      timer: setTimeout(() => drop(next.id), KEEP_MS).unref(),
      stop,
    });
  } catch {
    // No look ahead: the job reads its own payload.
  }
}

/** The chunks read ahead for this job, if any (taken: a second call finds none). */
export async function takeAhead(jobId: string): Promise<BatchChunk[] | undefined> {
  // A job that started before its look ahead was kept (the commit before it won the race)
  // reads its own payload; the look ahead then keeps nothing for it.
  started.add(jobId);
  if (started.size > STARTED_KEPT) started.delete(started.values().next().value as string);
  return remove(jobId)?.chunks;
}
