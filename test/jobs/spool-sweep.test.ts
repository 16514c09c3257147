import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Running, startServer } from '../../src/server.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/engines.ts';

// A crash in the middle of an upload leaves data/spool/<id>.part behind; the next start
// removes what nothing is still writing (older than a request may last), and leaves a
// fresh one alone: another process sharing the data directory may be spooling it now.

describe.each(engines())('spool sweep at start [%s]', (engine) => {
  let db: TestDatabase;
  let running: Running | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'kpihub-spool-'));
  const spool = join(dataDir, 'spool');

  beforeAll(async () => {
    db = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await running?.stop();
    await db.drop();
  });

  it('removes leftover spool files, keeps a fresh .part', async () => {
    mkdirSync(spool, { recursive: true });
    const old = (Date.now() - 3600_000) / 1000;
    for (const name of ['crashed.part', 'stray.tmp']) {
      writeFileSync(join(spool, name), 'REV,1,2024-01-01\n');
      utimesSync(join(spool, name), old, old);
    }
    writeFileSync(join(spool, 'uploading-now.part'), 'REV,1,');
    const config = loadConfig({
      KPIHUB_DATABASE_URL: db.env,
      KPIHUB_DATA_DIR: dataDir,
      KPIHUB_WORKERS: '0',
      KPIHUB_LOG_LEVEL: 'silent',
      KPIHUB_ADMIN_KEY: 'k'.repeat(40),
      // A request lasts at most 10 s here: a file untouched for an hour is nobody's.
      KPIHUB_REQUEST_TIMEOUT_MS: '10000',
      PORT: '0',
    });
    running = await startServer(config);
    expect(readdirSync(spool).sort()).toEqual(['uploading-now.part']);
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
  });
});
