import type SQLite from 'better-sqlite3';
import type { Store } from './database.ts';

// On a synchronous driver (better-sqlite3, Capabilities.syncDriver) the fastest bulk path is
// one prepared statement run once per row: no SQL to build, compile or parse per batch.
// Statements are prepared once per database handle and kept.

const cache = new WeakMap<object, Map<string, SQLite.Statement<unknown[]>>>();

export function prepared(store: Store, text: string): SQLite.Statement<unknown[]> {
  const handle = store.sqlite;
  if (!handle) throw new Error('prepared statements need the SQLite handle');
  let statements = cache.get(handle);
  if (!statements) {
    statements = new Map();
    cache.set(handle, statements);
  }
  let statement = statements.get(text);
  if (!statement) {
    statement = handle.prepare<unknown[]>(text);
    statements.set(text, statement);
  }
  return statement;
}

/** `insert into table (a, b) values (?, ?)` plus `tail` (an ON CONFLICT clause). */
export function insertSql(table: string, columns: readonly string[], tail = ''): string {
  return `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')}) ${tail}`;
}

/** Runs one cached statement per row, binding `columns` of each row in order. */
export function runEach<T>(store: Store, text: string, rows: T[], columns: readonly (keyof T)[]): void {
  if (rows.length === 0) return;
  const statement = prepared(store, text);
  for (const row of rows) statement.run(...columns.map((c) => row[c]));
}
