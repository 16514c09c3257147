import type { Kysely } from 'kysely';
import type { Store } from './database.ts';
import type { DB } from './schema.ts';

// A job's data write and its end must commit in one transaction (else a crash between the
// two would apply a batch twice). The write path opens its transaction itself; this gives
// the job a second handle on the very same connection, so a query made through it while
// that transaction is open runs inside it (EngineOps.withPinnedConnection).

export function withPinnedConnection<T>(
  store: Store,
  fn: (pinned: Store, joined: Kysely<DB>, beside: Store | undefined) => Promise<T>,
): Promise<T> {
  return store.engine.withPinnedConnection(store, fn);
}
