import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.ts';
import { sqliteHandleOf } from '../../src/store/engine/sqlite.ts';
import { SAFETY_NET_PAGES, startWalCheckpointer } from '../../src/store/engine/sqlite-wal-checkpointer.ts';

// SQLite only: the WAL and its checkpoints are SQLite's.
describe('background WAL checkpoints (SQLite)', () => {
  let dir: string;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  // ~2 MB in one transaction: about 500 pages (under SQLite's own 1,000-page threshold), all
  // in the WAL until something checkpoints them.
  const writeMegabytes = (s: Store) => {
    const db = sqliteHandleOf(s)!;
    db.exec('create table blobs (id integer primary key, body blob)');
    const insert = db.prepare('insert into blobs (body) values (?)');
    db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run(Buffer.alloc(4000, i % 256));
    })();
  };
  const open = (checkpointInBackground: boolean) => {
    dir = mkdtempSync(join(tmpdir(), 'kpihub-wal-'));
    const path = join(dir, 'kpihub.db');
    store = openStore({ engine: 'sqlite', path }, { checkpointInBackground });
    return { store, size: () => statSync(path).size };
  };

  it('copies committed pages into the database file from its own thread', async () => {
    const { store: s, size } = open(true);
    // The writer no longer checkpoints at 1,000 pages: only as a safety net far above.
    expect(sqliteHandleOf(s)!.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);
    writeMegabytes(s);
    const deadline = Date.now() + 5000;
    while (size() < 2_000_000 && Date.now() < deadline) await sleep(50);
    expect(size()).toBeGreaterThan(2_000_000);
    expect(sqliteHandleOf(s)!.prepare('select count(*) from blobs').pluck().get()).toBe(500);
  });

  it('without it the writer keeps SQLite’s own automatic checkpoint', async () => {
    const { store: s, size } = open(false);
    expect(sqliteHandleOf(s)!.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    writeMegabytes(s);
    await sleep(300);
    // Below the writer's threshold nothing checkpoints: the pages are still in the WAL.
    expect(size()).toBeLessThan(1_000_000);
  });

  it('gives the writer its own automatic checkpoint back when the thread stops', async () => {
    const { store: s } = open(false);
    const writer = sqliteHandleOf(s)!;
    const checkpointer = startWalCheckpointer(writer, join(dir, 'kpihub.db'));
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);
    await checkpointer.stop();
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('reports a thread that cannot open the database, and the writer checkpoints by itself', async () => {
    const { store: s } = open(false);
    const writer = sqliteHandleOf(s)!;
    const errors: string[] = [];
    const checkpointer = startWalCheckpointer(writer, join(dir, 'no-such.db'), {
      onError: (m) => errors.push(m),
    });
    const deadline = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < deadline) await sleep(20);
    expect(errors.join(' ')).toMatch(/unable to open|does not exist|no such file/i);
    await checkpointer.stop(); // returns although the thread is already gone
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('keeps the WAL bounded under back-to-back commits', async () => {
    const { store: s } = open(true);
    const db = sqliteHandleOf(s)!;
    db.exec('create table rows (id integer primary key, body blob)');
    const insert = db.prepare('insert into rows (body) values (?)');
    const commit = db.transaction(() => {
      for (let i = 0; i < 10; i++) insert.run(Buffer.alloc(1000, i));
    });
    // ~60 MB written in small transactions with no pause between them, yielding now and
    // then only so the test stays responsive (the thread runs regardless).
    let largest = 0;
    const wal = join(dir, 'kpihub.db-wal');
    for (let n = 0; n < 6000; n++) {
      commit();
      if (n % 500 === 0) {
        largest = Math.max(largest, statSync(wal).size);
        await sleep(0);
      }
    }
    largest = Math.max(largest, statSync(wal).size);
    // The writer's safety net restarts the WAL: it stays near SAFETY_NET_PAGES pages (127 MB
    // here without it). It can overshoot: the writer's checkpoint is skipped while the
    // thread's runs, and is tried again at the next commit (seen: 49 MB on a loaded machine).
    expect(largest).toBeLessThan(SAFETY_NET_PAGES * 1.5 * 4096);
    expect(db.prepare('select count(*) from rows').pluck().get()).toBe(60_000);
  });
});
