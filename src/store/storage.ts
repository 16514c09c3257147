import type { Storage } from '../core/ports/index.ts';
import type { Store } from './database.ts';

// Builds core's Storage port over a store. Each area's repositories live in
// src/store/repositories/<area>.ts and are spread in here.
export function createStorage(store: Store): Storage {
  const bind = (db: Store['db'], inTransaction: boolean): Storage => {
    const storage: Storage = {
      // Inside a transaction a nested unit of work joins it (Kysely has no nested transactions).
      transaction: (fn) =>
        inTransaction ? fn(storage) : db.transaction().execute((trx) => fn(bind(trx, true))),
    };
    return storage;
  };
  return bind(store.db, false);
}
