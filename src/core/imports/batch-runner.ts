import { type FieldIssue, Invalid } from '../errors.ts';
import { type CheckedInputs, MAX_ISSUES, type PointInput, type PointWriter } from '../points/point-input.ts';

// The one loop every batch runs, file imports and Workiva's batch jobs alike: chunks of
// inputs, already checked by the source's own rules, go to the write path inside one
// transaction; the source's problems and the write path's are reported together (at most
// MAX_ISSUES), and any problem rolls the whole batch back.

export type BatchMode = 'apply' | 'dry-run';

/** One chunk of a batch: the inputs its good items make, and the problems of its bad ones. */
export interface BatchChunk {
  inputs: PointInput[];
  issues: FieldIssue[];
  /** Items (data rows, values) this chunk read. */
  read: number;
  /**
   * The inputs, checked ahead (read-ahead.ts): handed to the writer whole, which stages them
   * (only a staging writer is given chunks checked ahead) and uses the checks if still valid.
   */
  checked?: CheckedInputs;
}

export interface BatchProgress {
  read: number;
  /** Always 0 in a dry run. */
  applied: number;
}

/**
 * The write path for one batch: runs `fn` with a writer inside one write transaction, which
 * commits when `fn` returns and the writer found no problem (withPointWriter). In 'dry-run'
 * the writer is to validate only (see DRY_RUN_HOLD until it can be told so).
 */
export type WriteSession = <T>(mode: BatchMode, fn: (w: PointWriter) => Promise<T>) => Promise<T>;

export interface BatchSpec {
  /** 'dry-run': every item is validated, nothing is stored. */
  mode: BatchMode;
  /** 'add' upserts the inputs, 'remove' deletes the points they name. */
  op?: 'add' | 'remove';
  /** Inputs handed to the writer at once; omitted, each chunk is written as one. */
  writeSize?: number;
  /** Inputs a staged batch writes at a time (FLUSH_SIZE when omitted). */
  flushSize?: number;
  /**
   * Inputs a staged batch may keep in memory (see PointWriter.stageWrites): a batch of bounded
   * size (Workiva's) says how many; a file, of any length, keeps none.
   */
  keepInMemory?: number;
  /**
   * Where the source's problems go. 'writer' (files): into the writer's own list, so it only
   * validates from the first one on. 'apart' (Workiva): a list of their own; the writer
   * goes on writing (and its progress counting) until the end rolls everything back.
   */
  sourceIssues: 'writer' | 'apart';
  /** The problems reported, from the writer's and (with 'apart') the source's. */
  report: (writerIssues: FieldIssue[], sourceIssues: FieldIssue[]) => FieldIssue[];
  /** After each write (the jobs queue saves it for GET /v1/imports/{id} and lets the loop go). */
  onProgress?: (p: BatchProgress) => void | Promise<void>;
  /** Called once every chunk is read and checked, as the staged inputs start to be written. */
  beforeFlush?: () => void;
  /** Runs inside the write transaction once the whole batch is good, just before it commits. */
  beforeCommit?: (p: BatchProgress) => Promise<void>;
}

/**
 * Inputs a staged batch writes at a time (only PostgreSQL stages: its writes wait on the
 * database, not on the event loop, so writeSize's bound for SQLite does not apply). Each piece
 * costs a statement or two, each a round trip with Node's part of it in between: pieces of
 * 2,500 rather than 1,000 made Workiva batches ~8 % faster (issue 14).
 */
const FLUSH_SIZE = 2500;

class DryRunDone extends Error {
  constructor(readonly progress: BatchProgress) {
    super('dry run');
  }
}

/** The inputs in pieces of `size`; without a size, the chunk as one piece (even empty). */
function pieces(inputs: PointInput[], size: number | undefined): PointInput[][] {
  if (size === undefined) return [inputs];
  const out: PointInput[][] = [];
  for (let i = 0; i < inputs.length; i += size) out.push(inputs.slice(i, i + size));
  return out;
}

function collect(into: FieldIssue[], issues: FieldIssue[]): void {
  for (const issue of issues) {
    if (into.length >= MAX_ISSUES) break;
    into.push(issue);
  }
}

/**
 * Applies a batch, chunk by chunk, all or nothing (a dry run only validates). Throws
 * Invalid listing the problems when any item is bad; nothing is stored then.
 */
export async function runBatch(
  session: WriteSession,
  chunks: AsyncIterable<BatchChunk>,
  spec: BatchSpec,
): Promise<BatchProgress> {
  const dryRun = spec.mode === 'dry-run';
  try {
    return await session(spec.mode, async (w) => {
      // Inputs are kept and written at the end in identity order where the storage stages
      // them (PostgreSQL): a batch then locks its points in the order every writer does.
      w.stageWrites(spec.keepInMemory);
      const sourceIssues = spec.sourceIssues === 'writer' ? w.issues : [];
      const read = await writeChunks(w, chunks, spec, sourceIssues);
      const apart = spec.sourceIssues === 'writer' ? [] : sourceIssues;
      // What was staged is written now, and writing finds problems of its own (a point named
      // by id deleted meanwhile). Once the batch has a problem its adds are not written, but
      // its deletes are still looked up, to report those not there too.
      if (spec.op === 'remove' || spec.report(w.issues, apart).length === 0) {
        spec.beforeFlush?.();
        await w.flush(spec.flushSize ?? FLUSH_SIZE, () => spec.onProgress?.({ read, applied: w.applied }));
      }
      const issues = spec.report(w.issues, apart);
      if (issues.length) throw new Invalid(issues);
      // Nothing was written, but the transaction is rolled back all the same.
      if (dryRun) throw new DryRunDone({ read, applied: 0 });
      const result = { read, applied: w.applied };
      await spec.beforeCommit?.(result);
      return result;
    });
  } catch (e) {
    if (e instanceof DryRunDone) return e.progress;
    throw e;
  }
}

/** The loop itself; returns the items read. */
async function writeChunks(
  w: PointWriter,
  chunks: AsyncIterable<BatchChunk>,
  spec: BatchSpec,
  sourceIssues: FieldIssue[],
): Promise<number> {
  let read = 0;
  try {
    for await (const chunk of chunks) {
      read += chunk.read;
      collect(sourceIssues, chunk.issues);
      const { checked } = chunk;
      for (const piece of checked ? [chunk.inputs] : pieces(chunk.inputs, spec.writeSize)) {
        await (spec.op === 'remove' ? w.remove(piece, checked) : w.add(piece, checked));
        await spec.onProgress?.({ read, applied: spec.mode === 'dry-run' ? 0 : w.applied });
      }
    }
  } catch (e) {
    // A source that stops making sense (a quote never closed) ends the reading; what was
    // found up to there is reported with it.
    if (!(e instanceof Invalid)) throw e;
    collect(sourceIssues, e.issues);
  }
  return read;
}
