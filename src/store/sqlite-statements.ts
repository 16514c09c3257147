import type SQLite from 'better-sqlite3';
import type { Store } from './database.ts';

// On a synchronous driver (better-sqlite3, Capabilities.syncDriver) the fastest bulk path is
// cached prepared statements: no SQL to build, compile or parse per batch. Statements are
// prepared once per database handle and SQL text, and kept (the texts are a fixed few).

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

/** `insert into table (a, b) values (?, ?), …` (`rows` tuples) plus `tail` (an ON CONFLICT clause). */
export function insertSql(table: string, columns: readonly string[], tail = '', rows = 1): string {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  return `insert into ${table} (${columns.join(', ')}) values ${Array(rows).fill(tuple).join(', ')} ${tail}`;
}

/** Rows one multi-row statement carries: a statement call per row cost more than the row. */
export const ROWS_PER_STATEMENT = 50;

/**
 * Inserts rows through cached statements: ROWS_PER_STATEMENT rows a call, then the rest one
 * by one. Within a statement rows are applied in order, so a later row of the same key
 * meets an earlier one's ON CONFLICT as it would in separate statements.
 */
export function runEach<T>(
  store: Store,
  table: string,
  columns: readonly (keyof T & string)[],
  rows: T[],
  tail = '',
): void {
  if (rows.length === 0) return;
  const full = rows.length - (rows.length % ROWS_PER_STATEMENT);
  if (full > 0) {
    const many = prepared(store, insertSql(table, columns, tail, ROWS_PER_STATEMENT));
    const params: unknown[] = [];
    for (let i = 0; i < full; i += ROWS_PER_STATEMENT) {
      params.length = 0;
      for (let j = i; j < i + ROWS_PER_STATEMENT; j++) for (const c of columns) params.push(rows[j][c]);
      many.run(...params);
    }
  }
  if (full < rows.length) {
    const one = prepared(store, insertSql(table, columns, tail));
    for (let i = full; i < rows.length; i++) one.run(...columns.map((c) => rows[i][c]));
  }
}
