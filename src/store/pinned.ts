import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { cachingStatements, type Store } from './database.ts';
import type { DB } from './schema.ts';

// A job's data write and its end must commit in one transaction (else a crash between the
// two would apply a batch twice). The write path opens its transaction itself; these
// helpers give the job a second handle on the very same connection, so a query made
// through it while that transaction is open runs inside it.

const sqliteTwins = new WeakMap<object, Kysely<DB>>();

/**
 * Runs `fn` with `pinned` (a Store all of whose queries use one connection) and `joined`
 * (a handle on that connection that never waits for it): open a transaction through
 * `pinned`, and `joined` queries made meanwhile join that transaction.
 * PostgreSQL: one pooled client serves both. SQLite: the store already has one connection;
 * a second Kysely over the same better-sqlite3 handle skips the first one's lock, which a
 * transaction holds until it ends (a query through the store would wait for ever).
 */
export async function withPinnedConnection<T>(
  store: Store,
  fn: (pinned: Store, joined: Kysely<DB>) => Promise<T>,
): Promise<T> {
  if (store.sqlite) {
    let twin = sqliteTwins.get(store.sqlite);
    if (!twin) {
      // Never destroyed: destroying it would close the store's own handle.
      twin = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachingStatements(store.sqlite) }) });
      sqliteTwins.set(store.sqlite, twin);
    }
    return fn(store, twin);
  }
  if (!store.pool) throw new Error('withPinnedConnection: the store has neither a SQLite handle nor a pool');
  const client = await store.pool.connect();
  const shared = { query: client.query.bind(client), release: () => {} };
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: { connect: async () => shared, end: async () => {} } }),
  });
  let failure: Error | undefined;
  try {
    return await fn({ ...store, db, close: async () => {} }, db);
  } catch (e) {
    failure = e as Error;
    throw e;
  } finally {
    await db.destroy();
    // A client whose transaction failed is discarded rather than returned in doubt.
    client.release(failure && !(failure as { kind?: string }).kind ? failure : undefined);
  }
}
