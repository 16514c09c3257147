import { type Kysely, sql } from 'kysely';
import type { Store } from './database.ts';
import type { DB } from './schema.ts';
import { prepared } from './sqlite-statements.ts';

/**
 * A write transaction. On SQLite it starts with BEGIN IMMEDIATE, taking the write lock up
 * front: a deferred transaction that reads and then writes fails at once with SQLITE_BUSY
 * when another process (a separate worker) wrote in between, whereas an immediate one
 * waits its turn (busy_timeout). On PostgreSQL it is an ordinary transaction.
 */
export async function writeTransaction<T>(store: Store, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (!store.caps.singleWriter) return store.db.transaction().execute(fn);
  // Holding Kysely's single connection keeps every other query out until we finish; the
  // statements run on the raw handle, compiled once (Kysely would prepare them each time).
  return store.db.connection().execute(async (conn) => {
    prepared(store, 'begin immediate').run();
    try {
      const out = await fn(conn);
      prepared(store, 'commit').run();
      return out;
    } catch (e) {
      if (store.sqlite?.inTransaction) prepared(store, 'rollback').run();
      throw e;
    }
  });
}

/** Serializes concurrent writers of the same keys (metric ids) until the transaction ends. */
export async function lockKeys(store: Store, trx: Kysely<DB>, keys: string[]): Promise<void> {
  if (!store.caps.advisoryLocks) return;
  // Sorted, so two transactions always take their locks in the same order (no deadlock).
  for (const key of [...new Set(keys)].sort()) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
  }
}
