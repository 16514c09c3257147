import { sql } from 'kysely';
import type { Store } from './database.ts';

/** A trivial query on the writer connection: resolves when the database answers. */
export async function pingDatabase(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db);
}
