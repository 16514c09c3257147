import type { Store } from '../../src/store/database.ts';
import type { DB } from '../../src/store/schema.ts';

/** Rows in a table, all organizations: "nothing stored" tests compare it before and after. */
export async function countRows(store: Store, table: keyof DB): Promise<number> {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** countRows of each table, by name. */
export async function countEach(
  store: Store,
  tables: readonly (keyof DB)[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of tables) out[table] = await countRows(store, table);
  return out;
}
