import type { Kysely } from 'kysely';
import type { Storage } from '../core/ports/index.ts';
import type { Store } from './database.ts';
import { GroupCommit } from './group-commit.ts';
import { accessRepositories } from './repositories/access.ts';
import { analyticsRepositories } from './repositories/analytics.ts';
import { catalogRepositories } from './repositories/catalog.ts';
import { importRepositories } from './repositories/imports.ts';
import { jobRepositories } from './repositories/jobs.ts';
import { pointRepositories } from './repositories/points.ts';
import { rollupRepositories } from './repositories/rollups.ts';
import type { DB } from './schema.ts';
import { writeTransaction } from './transactions.ts';

export type StorageRole = 'writer' | 'reader';

// One GroupCommit per (store, apply function): the items of one kind of write share commits.
const groups = new WeakMap<Store, Map<unknown, GroupCommit<unknown, unknown>>>();

/**
 * Builds core's Storage over a store: each area's repositories (src/store/repositories)
 * bound to one connection. 'reader' binds them to the store's read connection (on SQLite
 * a second, read-only one that never waits behind a write).
 */
export function createStorage(store: Store, role: StorageRole = 'writer'): Storage {
  const bind = (db: Kysely<DB>, inTransaction: boolean): Storage => {
    const h = { store, db };
    const storage: Storage = {
      ...accessRepositories(h),
      ...analyticsRepositories(h),
      ...catalogRepositories(h),
      ...importRepositories(h),
      ...jobRepositories(h),
      ...pointRepositories(h),
      ...rollupRepositories(h),
      transaction: (fn) =>
        inTransaction ? fn(storage) : writeTransaction(store, (trx) => fn(bind(trx, true))),
      writeGrouped: (apply, item, maxItems) =>
        inTransaction ? apply(storage, item) : grouped(store, within, apply, item, maxItems),
    };
    return storage;
  };
  // The items of one group commit share one transaction: they share its Storage too
  // (building one is ~70 closures; per item it cost Visible's small PUTs 15% of their rate).
  const inTrx = new WeakMap<Kysely<DB>, Storage>();
  const within = (trx: Kysely<DB>): Storage => {
    let tx = inTrx.get(trx);
    if (!tx) {
      tx = bind(trx, true);
      inTrx.set(trx, tx);
    }
    return tx;
  };
  return bind(role === 'reader' ? store.reader : store.db, false);
}

function grouped<T, R>(
  store: Store,
  within: (trx: Kysely<DB>) => Storage,
  apply: (tx: Storage, item: T) => Promise<R>,
  item: T,
  maxItems?: number,
): Promise<R> {
  if (store.engine.concurrentWriters) return writeTransaction(store, (trx) => apply(within(trx), item));
  let byApply = groups.get(store);
  if (!byApply) {
    byApply = new Map();
    groups.set(store, byApply);
  }
  let group = byApply.get(apply) as GroupCommit<T, R> | undefined;
  if (!group) {
    group = new GroupCommit<T, R>(store, (trx, queued) => apply(within(trx), queued), maxItems);
    byApply.set(apply, group as GroupCommit<unknown, unknown>);
  }
  return group.submit(item);
}
