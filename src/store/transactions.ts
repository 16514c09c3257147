import type { Kysely } from 'kysely';
import type { Store } from './database.ts';
import type { DB } from './schema.ts';

/**
 * A write transaction: on SQLite it starts with BEGIN IMMEDIATE, taking the write lock up
 * front (EngineOps.writeTransaction says why); on PostgreSQL it is an ordinary transaction.
 */
export function writeTransaction<T>(store: Store, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return store.engine.writeTransaction(store.db, fn);
}

/** Serializes concurrent writers of the same keys (metric ids) until the transaction ends. */
export function lockKeys(store: Store, trx: Kysely<DB>, keys: string[]): Promise<void> {
  return store.engine.lockKeys(trx, keys);
}
