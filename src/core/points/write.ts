import type { Actor } from '../context.ts';
import { NotFound } from '../errors.ts';
import type { Metric } from '../metrics.ts';
import type { Storage } from '../ports/index.ts';
import type { PointInput, PointWriter, WriteResult } from './point-input.ts';
import { runWriter, type WriterOptions } from './writer.ts';

// The write path's entry points. Every way a value arrives (Visible PUT, native PUT,
// Workiva batches, CSV files) ends in a PointWriter (writer.ts) inside one transaction.

/**
 * One transaction around `fn`. add() writes while the data is good and only validates
 * once a problem is found; if any was, the whole transaction rolls back and Invalid lists
 * every problem. So a file is applied completely or not at all.
 */
export function withPointWriter<T>(
  storage: Storage,
  actor: Actor,
  fn: (w: PointWriter) => Promise<T>,
  known: Metric[] = [],
  opts: WriterOptions = {},
): Promise<T> {
  return storage.transaction((tx) => runWriter(tx, actor, known, fn, opts));
}

/** Deletes by id or by period + coordinates, all or nothing; throws Invalid naming what is missing. */
export function deletePoints(storage: Storage, actor: Actor, inputs: PointInput[]): Promise<number> {
  return storage.transaction((tx) =>
    runWriter(tx, actor, [], async (writer) => {
      const n = await writer.remove(inputs);
      // Deleting one point that is not there (or is another metric's) is a plain 404.
      if (inputs.length === 1 && writer.issues.some((i) => i.code === 'not_found' || i.code === 'conflict')) {
        throw new NotFound('data point');
      }
      return n;
    }),
  );
}

interface PendingWrite {
  actor: Actor;
  inputs: PointInput[];
  known: Metric[];
}

// One stable function: it keys the group of writes that share a commit.
function applyWrite(tx: Storage, item: PendingWrite): Promise<WriteResult> {
  return runWriter(tx, item.actor, item.known, (w) => w.add(item.inputs));
}

/** Most requests that share one commit on a single-writer engine. */
const GROUP_MAX = 16;

/**
 * All or nothing; throws Invalid listing every problem. On a single-writer engine, requests
 * that arrive while a write transaction runs are applied together in the next one (one
 * commit for many small Visible PUTs); a request with a problem fails its group, which is
 * then retried one request at a time, so each request stays all or nothing on its own.
 */
export function writePoints(
  storage: Storage,
  actor: Actor,
  inputs: PointInput[],
  known: Metric[] = [],
): Promise<WriteResult> {
  return storage.writeGrouped(applyWrite, { actor, inputs, known }, GROUP_MAX);
}
