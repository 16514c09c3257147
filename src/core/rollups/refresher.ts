import type { Storage } from '../ports/index.ts';
import { refreshMarks } from './refresh.ts';

// Recomputes marked months in the background, so a read seldom has any to do. It stays out
// of the way of writes: it only takes months no write has touched for `quietMs`, and only
// while this process has written no points for as long (a bulk import is not slowed by
// recomputing what the import is about to change again); a sweep under way stops between
// chunks once a write starts. Whatever it has not reached yet, a read recomputes itself
// before answering (refresh.ts): rollups are never read stale.
//
// A write counts from its checks on: a Workiva batch checks its 77,000 values for a second
// or more before it saves any, and the refresher, starting in that gap, took 14 % of the
// server's CPU (and PostgreSQL's time) from the batches after it (issue 14).

let lastPointWrite = 0;

/** Called by the writer as it checks and as it saves points: a write is under way. */
export function notePointWrite(): void {
  lastPointWrite = Date.now();
}

/** Milliseconds since this process last noted a write of points. */
export function msSincePointWrite(): number {
  return Date.now() - lastPointWrite;
}

export interface RefresherOptions {
  /** How often to look for marks when there were none. */
  intervalMs: number;
  /** How long a month (and this process) must have gone unwritten. */
  quietMs: number;
  /** Marks taken per look. */
  batch: number;
  onError(err: unknown): void;
}

export interface RollupRefresher {
  stop(): Promise<void>;
}

export function startRollupRefresher(storage: Storage, opts: RefresherOptions): RollupRefresher {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const sweep = async (): Promise<boolean> => {
    const writing = () => msSincePointWrite() < opts.quietMs;
    if (writing()) return false;
    const quietBefore = new Date(Date.now() - opts.quietMs).toISOString();
    const marks = await storage.quietRollupMarks(quietBefore, opts.batch);
    if (stopped || marks.length === 0) return false;
    await refreshMarks(storage, marks, writing);
    return marks.length === opts.batch && !writing();
  };
  const tick = () => {
    running = sweep()
      .catch((err) => {
        opts.onError(err);
        return false;
      })
      .then((more) => {
        if (!stopped) timer = setTimeout(tick, more ? 0 : opts.intervalMs);
      });
  };
  timer = setTimeout(tick, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
