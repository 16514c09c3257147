import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/engines.ts';

// KPIHUB_PG_POOL_SIZE and KPIHUB_PG_APPLICATION_NAME, seen from the server's side: the
// connections pg_stat_activity lists under the configured name, never more than the pool.
// PostgreSQL only: SQLite has no pool and no server.

describe.runIf(engines().includes('postgres'))('the PostgreSQL pool [postgres]', () => {
  const name = `kpihub pool test ${randomBytes(4).toString('hex')}`;
  let database: TestDatabase;
  let store: Store;
  let observer: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const config = loadConfig({
      KPIHUB_DATABASE_URL: database.env,
      KPIHUB_PG_POOL_SIZE: '3',
      KPIHUB_PG_APPLICATION_NAME: name,
    });
    store = openStore(config.database, { role: 'worker' });
    observer = new pg.Client({ connectionString: inject('pgUrl') });
    await observer.connect();
  });
  afterAll(async () => {
    await store?.close();
    await observer?.end();
    await database?.drop();
  });

  const connections = async (applicationName: string): Promise<number> =>
    Number(
      (
        await observer.query('select count(*) as n from pg_stat_activity where application_name = $1', [
          applicationName,
        ])
      ).rows[0].n,
    );

  it('names its connections "<KPIHUB_PG_APPLICATION_NAME>-<role>" and opens at most the pool size', async () => {
    // Eight queries at once that each hold a connection for a while: the pool runs three,
    // the others wait for one.
    let peak = 0;
    let running = true;
    const watching = (async () => {
      while (running) {
        peak = Math.max(peak, await connections(`${name}-worker`));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const started = Date.now();
    await Promise.all(Array.from({ length: 8 }, () => sql`select pg_sleep(0.25)`.execute(store.db)));
    const took = Date.now() - started;
    running = false;
    await watching;
    expect(peak).toBe(3);
    // Three at a time: eight sleeps of 250 ms take three rounds.
    expect(took).toBeGreaterThanOrEqual(3 * 250 - 50);
    expect(await connections(name)).toBe(0);
  });
});
