import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Store } from '../store/database.ts';
import { sweepStaleStagingJobs } from './staging.ts';

// An upload is streamed to data/spool/<id>.part, copied into the job's payload rows by the
// enqueue, then removed. A crash between the two leaves the file behind for
// good: no job ever references a spool file (the job holds its own copy of the payload),
// so at start whatever is left is removed. Several processes may share one data directory,
// though, and another API process may be spooling an upload right now: only files that
// nothing has written to for longer than a request may last are taken.
//
// A big payload is copied into a 'staging' job in several transactions (queue.ts): a crash
// meanwhile leaves that job and part of its payload. Nothing ever claims or shows it; the
// same sweep deletes the staging jobs older than a request may last.

/** How old a spool file must be to be a leftover: a request's whole deadline, and a minute more. */
export const spoolGraceMs = (config: Config): number => config.connections.requestTimeoutMs + 60_000;

export interface SpoolSweep {
  removed: string[];
  kept: number;
}

/** Removes the files under `<dataDir>/spool` last modified more than `graceMs` ago. */
export async function sweepSpool(dataDir: string, graceMs: number, at = Date.now()): Promise<SpoolSweep> {
  const dir = join(dataDir, 'spool');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { removed: [], kept: 0 };
    throw e;
  }
  const out: SpoolSweep = { removed: [], kept: 0 };
  for (const name of names) {
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (!info.isFile() || at - info.mtimeMs <= graceMs) {
        out.kept++;
        continue;
      }
      await rm(path, { force: true });
      out.removed.push(name);
    } catch (e) {
      // Removed meanwhile by the process that spooled it: nothing left to do.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return out;
}

/** The sweep at a start (serve, worker): logged, and never a reason not to start. */
export async function sweepSpoolAtStart(
  config: Config,
  store: Store,
  log: { info(o: object, m: string): void; warn(o: object, m: string): void },
): Promise<void> {
  try {
    const { removed } = await sweepSpool(config.dataDir, spoolGraceMs(config));
    if (removed.length)
      log.info({ files: removed.length }, 'removed spool files left by an interrupted upload');
  } catch (e) {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not sweep the spool directory');
  }
  try {
    const jobs = await sweepStaleStagingJobs(store, spoolGraceMs(config));
    if (jobs) log.info({ jobs }, 'removed staging jobs left by an interrupted upload');
  } catch (e) {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not sweep staging jobs');
  }
}
