import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

// A WAL checkpoint copies the pages committed to the write-ahead log back into the
// database file and syncs it. SQLite's automatic checkpoint does that inside whichever
// commit crosses 1,000 pages, on the writer's thread: under a steady write load that was
// ~4 µs of every point written (CPU profiles of the native PUT), with the event loop held.
// SQLite's documentation suggests the alternative used here: a second connection on its
// own thread runs PASSIVE checkpoints (they never block the writer or readers) many times
// a second, and the writer keeps an automatic checkpoint only as a safety net.
//
// The safety net also bounds the WAL file. SQLite starts the WAL over from its beginning
// only when a write transaction begins with every frame already copied back; under
// back-to-back commits the thread is always a few frames behind, so that moment comes when
// the writer's own checkpoint runs (cheap when the thread has kept up; past half the net it
// copies what the thread's short catch-ups left, see below). So under a steady load the WAL
// file stays under ~40 MB, and journal_size_limit (database.ts) trims it afterwards. A net of
// 4,000 pages (16 MB) cost ~10% of the Vitally benchmark's throughput (22.1k against 24.2k
// msg/s, three runs each): each of the writer's own checkpoints syncs the database file on
// the event loop.
//
// The safety net only works if the writer's checkpoint can run: a checkpoint attempted while
// another connection's is under way is skipped (SQLITE_BUSY, tried again at the next commit),
// and the WAL grows meanwhile. Under back-to-back commits a checkpoint of the thread's that was
// running when the WAL reached the net let it grow to 53–75 MB against 41 (6,000 commits of
// 10 KB, one run in three; 61.9 MB failed CI). Standing aside for 500 ms after seeing the WAL
// at the net, or at three quarters of it, did not prevent that: the thread's checkpoint had
// begun before it could see. So the thread now checkpoints every 10 ms instead of every
// 100 ms, each checkpoint copying a tenth as much and holding the lock that much less, and
// before each it reads how far the WAL has gone and how much of it is copied (the wal-index's
// frame counts, no lock taken): past half the net it checkpoints only while few frames are left
// to copy. When a burst outruns it, the writer's checkpoint at the net finds the lock free,
// copies the rest and starts the WAL over. Measured (a harness of the test's loop): the
// largest WAL 41.2–42.2 MB in 14 runs, where it was 41–75 MB; the native PUT on SQLite
// 95,900 / 98,200 points/s against 90,200 / 89,200 with the old thread, Vitally unchanged
// (28,800 / 28,900 against 28,700 / 28,750 msg/s). Leaving the whole second half to the
// writer bounded the WAL as well but cost the native PUT 3–5 %: its checkpoints run on the
// event loop.

/** The writer's own automatic checkpoint while the thread runs (pages; 4 KiB each). */
export const SAFETY_NET_PAGES = 10_000;
const DEFAULT_PAGES = 1_000;
/** The WAL's length from which the thread checkpoints only short catch-ups (see the top). */
const ASIDE_PAGES = SAFETY_NET_PAGES / 2;
/** A short catch-up: at most this many frames not yet copied (8 MiB). */
const CATCH_UP_PAGES = 2_000;
/** How often the thread looks at the WAL (see the top: small checkpoints hold the lock briefly). */
const INTERVAL_MS = 10;
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
// How far the WAL has gone and how much of it is copied back, read from the wal-index (the
// -shm file, in SQLite's documented format: the header's mxFrame at offset 16 and the
// checkpoint's nBackfill at offset 96, 32-bit integers in the host's byte order), without
// taking any lock. See "The safety net only works if…" at the top of the file.
const fs = require('node:fs');
const header = Buffer.alloc(100);
let shm;
const u32 = (at) => (workerData.littleEndian ? header.readUInt32LE(at) : header.readUInt32BE(at));
const walState = () => {
  try {
    shm ??= fs.openSync(workerData.path + '-shm', 'r');
    if (fs.readSync(shm, header, 0, 100, 0) < 100) return undefined;
  } catch {
    return undefined; // no wal-index to read (not made yet, or unreadable): see tick
  }
  return { frames: u32(16), copied: u32(96) };
};
let timer;
const tick = () => {
  const wal = walState();
  // Not known (no wal-index read): checkpoint, as the thread did before it read one; with no
  // WAL yet that finds nothing to copy.
  const left = wal === undefined ? 1 : wal.frames - wal.copied;
  // Past half the net, only a short catch-up (see the top); nothing to copy, nothing to do.
  const late = wal !== undefined && wal.frames >= workerData.asidePages;
  if (left > 0 && (!late || left <= workerData.catchUpPages)) {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
      failures = 0;
    } catch (e) {
      if (failures++ === 0) report(e);
      if (failures >= workerData.maxFailures) {
        report('checkpoints keep failing: the writer checkpoints by itself from now on');
        db.close();
        process.exit(1);
      }
    }
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.once('message', () => {
  clearTimeout(timer);
  db.close();
  if (shm !== undefined) fs.closeSync(shm);
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
  const intervalMs = opts.intervalMs ?? INTERVAL_MS;
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: {
      path,
      driver,
      intervalMs,
      maxFailures: MAX_FAILURES,
      asidePages: ASIDE_PAGES,
      catchUpPages: CATCH_UP_PAGES,
      littleEndian: endianness() === 'LE',
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
