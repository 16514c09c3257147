import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

// A WAL checkpoint copies the pages committed to the write-ahead log back into the
// database file and syncs it. SQLite's automatic checkpoint does that inside whichever
// commit crosses 1,000 pages, on the writer's thread: under a steady write load that was
// ~4 µs of every point written (CPU profiles of the native PUT), with the event loop held.
// SQLite's documentation suggests the alternative used here: a second connection on its
// own thread runs PASSIVE checkpoints (they never block the writer or readers) a few times
// a second, and the writer keeps an automatic checkpoint only as a safety net.
//
// The safety net also bounds the WAL file. SQLite starts the WAL over from its beginning
// only when a write transaction begins with every frame already copied back; under
// back-to-back commits the thread is always a few frames behind, so that moment comes when
// the writer's own checkpoint runs (cheap by then: the thread has copied nearly everything).
// So under a steady load the WAL file stays under ~40 MB, and journal_size_limit
// (database.ts) trims it afterwards. A net of 4,000 pages (16 MB) cost ~10% of the Vitally
// benchmark's throughput (22.1k against 24.2k msg/s, three runs each): each of the writer's
// own checkpoints syncs the database file on the event loop.
//
// The safety net only works if the writer's checkpoint can run: a checkpoint attempted while
// another connection's is under way is skipped (SQLITE_BUSY, tried again at the next
// commit). On a loaded disk the thread's checkpoint, with its sync, held that lock nearly all
// the time, and the WAL grew past the net (64 MB seen against ~40). So once the thread sees
// the WAL at the net, it stands aside for a moment: the writer's next commit checkpoints the
// few frames left and the transaction after it starts the WAL over.

/** The writer's own automatic checkpoint while the thread runs (pages; 4 KiB each). */
export const SAFETY_NET_PAGES = 10_000;
const DEFAULT_PAGES = 1_000;
/** How long the thread stands aside once the WAL has reached the safety net. */
const STAND_ASIDE_MS = 500;
/** Failed checkpoints in a row after which the thread gives up and the writer takes over. */
const MAX_FAILURES = 10;

// The thread's code: plain CommonJS, so it runs the same under tsx, vitest or plain node.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
// Errors travel as text: SQLite's error class does not survive the copy between threads.
const report = (e) => parentPort.postMessage({ error: String((e && e.message) || e) });
let db;
try {
  db = new (require(workerData.driver))(workerData.path, { fileMustExist: true });
  db.pragma('synchronous = NORMAL');
} catch (e) {
  report(e);
  process.exit(1);
}
// A failing checkpoint (disk full, I/O error) is reported once; if it keeps failing the
// thread ends, and the writer checkpoints by itself again (see the exit handler).
let failures = 0;
// Ticks left to stand aside (see "The safety net only works if…" at the top of the file).
let standAside = 0;
const timer = setInterval(() => {
  if (standAside > 0) {
    standAside--;
    return;
  }
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (log >= workerData.netPages) standAside = workerData.standAsideTicks;
    failures = 0;
  } catch (e) {
    if (failures++ === 0) report(e);
    if (failures >= workerData.maxFailures) {
      report('checkpoints keep failing: the writer checkpoints by itself from now on');
      clearInterval(timer);
      db.close();
      process.exit(1);
    }
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `path`'s WAL from a worker thread; `writer` is the process's
 * writing connection, whose automatic checkpoint becomes the safety net.
 */
export function startWalCheckpointer(
  writer: SQLite.Database,
  path: string,
  opts: { intervalMs?: number; onError?: (message: string) => void } = {},
): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const intervalMs = opts.intervalMs ?? 100;
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: {
      path,
      driver,
      intervalMs,
      maxFailures: MAX_FAILURES,
      netPages: SAFETY_NET_PAGES,
      standAsideTicks: Math.ceil(STAND_ASIDE_MS / intervalMs),
    },
  });
  worker.unref(); // never what keeps a process alive
  writer.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  let stopped = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      // The thread is gone (stopped or failed): the writer checkpoints by itself again.
      if (writer.open) writer.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
      resolve();
    });
  });
  worker.on('message', (m: { error?: string; stopped?: boolean }) => {
    if (m.error) opts.onError?.(m.error);
    if (m.stopped) void worker.terminate();
  });
  worker.on('error', (e) => opts.onError?.(String(e?.message ?? e)));
  return {
    async stop() {
      if (!stopped) {
        stopped = true;
        // Asks the thread to close its connection first; a thread that already died has
        // exited, and waiting for that returns at once.
        worker.postMessage('stop');
      }
      await exited;
    },
  };
}
