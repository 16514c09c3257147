import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Running, startServer } from '../../src/server.ts';
import { openStore } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
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

  // A big payload is stored under a 'staging' job in several transactions: a crash
  // meanwhile leaves the job and part of its payload (made here by hand). The next start
  // removes such a job when it is older than a request may last, and keeps a younger one
  // (another process's upload in progress).
  it('removes a staging job left by a crash, with its payload chunks; keeps a fresh one', async () => {
    await running?.stop();
    running = undefined;
    const store = openStore(db.url);
    await migrateToLatest(store);
    const org = await insertOrganization(store.db, 'crashed');
    const staged = async (id: string, createdAt: string) => {
      await store.db
        .insertInto('jobs')
        .values({
          id,
          org_id: org.id,
          kind: 't.crash',
          status: 'staging',
          internal: 0,
          attempts: 0,
          max_attempts: 5,
          run_after: createdAt,
          lease_owner: null,
          lease_expires_at: null,
          ordering_key: null,
          idempotency_key: null,
          request_hash: 'h',
          payload_bytes: 3,
          received: 0,
          applied: 0,
          rejected: 0,
          errors: null,
          result: null,
          progress: null,
          meta: '{}',
          last_error: null,
          created_at: createdAt,
          updated_at: createdAt,
          started_at: null,
          finished_at: null,
          created_by: 't',
        })
        .execute();
      for (let seq = 0; seq < 6; seq++)
        await store.db
          .insertInto('job_payload_chunks')
          .values({ job_id: id, org_id: org.id, seq, data: Buffer.from('abc') })
          .execute();
    };
    const oldId = '018f0000-0000-7000-8000-000000000001';
    const freshId = '018f0000-0000-7000-8000-000000000002';
    await staged(oldId, new Date(Date.now() - 3600_000).toISOString());
    await staged(freshId, new Date().toISOString());
    await store.close();
    running = await startServer(
      loadConfig({
        KPIHUB_DATABASE_URL: db.env,
        KPIHUB_DATA_DIR: dataDir,
        KPIHUB_WORKERS: '0',
        KPIHUB_LOG_LEVEL: 'silent',
        KPIHUB_ADMIN_KEY: 'k'.repeat(40),
        KPIHUB_REQUEST_TIMEOUT_MS: '10000',
        PORT: '0',
      }),
    );
    const jobs = await running.store.db
      .selectFrom('jobs')
      .select(['id', 'status'])
      .where('kind', '=', 't.crash')
      .execute();
    expect(jobs).toEqual([{ id: freshId, status: 'staging' }]);
    const chunks = await running.store.db
      .selectFrom('job_payload_chunks')
      .select(['job_id'])
      .where('org_id', '=', org.id)
      .execute();
    expect(chunks.map((c) => c.job_id)).toEqual(Array(6).fill(freshId));
  });
});
