import type { DatabaseUrl } from '../config.ts';
import { isPostgresUniqueViolation, openPostgres } from './engine/postgres.ts';
import { isSqliteUniqueViolation, openSqlite } from './engine/sqlite.ts';
import type { OpenedStore, StoreOptions } from './engine/types.ts';

/** An open database: its connections and its engine's operations (engine/types.ts). */
export type Store = OpenedStore;

type EngineName = DatabaseUrl['engine'];
interface EngineEntry<E extends EngineName> {
  open(url: Extract<DatabaseUrl, { engine: E }>, opts: StoreOptions): OpenedStore;
  /** The engine's own test, for callers that hold an error but no store. */
  isUniqueViolation(error: unknown): boolean;
}

// The engines, by the URL scheme config.ts parsed: the one place that picks an engine.
const ENGINES: { [E in EngineName]: EngineEntry<E> } = {
  sqlite: { open: openSqlite, isUniqueViolation: isSqliteUniqueViolation },
  postgres: { open: openPostgres, isUniqueViolation: isPostgresUniqueViolation },
};

export function openStore(url: DatabaseUrl, opts: StoreOptions = {}): Store {
  return (ENGINES[url.engine] as EngineEntry<EngineName>).open(url, opts);
}

/**
 * A unique index (or primary key) refused a row, on whichever engine raised it: two
 * requests raced past a check for a free key (an external_id, an Idempotency-Key).
 */
export function isUniqueViolation(error: unknown): boolean {
  return Object.values(ENGINES).some((e) => e.isUniqueViolation(error));
}
