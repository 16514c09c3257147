import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDialectConfig } from 'kysely';
import pg from 'pg';
import type { DatabaseUrl } from '../config.ts';
import { type Capabilities, postgresCapabilities, sqliteCapabilities } from './capabilities.ts';
import type { DB } from './schema.ts';
import { startWalCheckpointer } from './wal-checkpointer.ts';

export interface Store {
  readonly db: Kysely<DB>;
  /**
   * For reads that must not wait behind a long write transaction (auth, job status): on
   * SQLite a second, read-only connection that sees the last committed state while a
   * batch is being written; elsewhere the same as `db`.
   */
  readonly reader: Kysely<DB>;
  readonly caps: Capabilities;
  /** PostgreSQL schema the tables live in (undefined on SQLite). */
  readonly schema?: string;
  /** The raw better-sqlite3 handle, for the bulk paths that prepare their own statements. */
  readonly sqlite?: SQLite.Database;
  /** The raw pg pool, for COPY and LISTEN. */
  readonly pool?: pg.Pool;
  close(): Promise<void>;
}

// pg would turn DATE into a JS Date at local midnight and TIMESTAMPTZ into a Date; we keep
// both as the same strings SQLite returns, so one code path reads both engines.
function pgTypes(): pg.CustomTypesConfig {
  const parsers: Record<number, (v: string) => unknown> = {
    1082: (v) => v, // date → 'YYYY-MM-DD'
    1184: (v) => new Date(v).toISOString(), // timestamptz → ISO-8601
    1114: (v) => new Date(`${v}Z`).toISOString(), // timestamp
    20: (v) => Number(v), // int8 (counts) → number
  };
  return {
    getTypeParser: ((oid: number, format?: string) =>
      parsers[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
  };
}

const STATEMENT_CACHE = 256;

/**
 * better-sqlite3 behind Kysely with its statements kept: Kysely prepares every query anew,
 * and preparing cost more than running the small queries of a request. Statements are
 * reused by SQL text (most recently used kept); the driver is synchronous, so one
 * statement is never in use twice at once.
 */
export function cachingStatements(handle: SQLite.Database): SqliteDialectConfig['database'] {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => handle.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (stmt) {
        cache.delete(text);
      } else {
        stmt = handle.prepare(text);
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, stmt);
      return stmt;
    },
  };
}

export interface StoreOptions {
  /** PostgreSQL: connections in the pool. */
  poolSize?: number;
  /**
   * SQLite file: checkpoint the WAL from a background thread instead of inside commits
   * (wal-checkpointer.ts). For long-running processes that write: the server and workers.
   */
  checkpointInBackground?: boolean;
  /** Told when the background checkpoint fails (the writer then checkpoints by itself). */
  onCheckpointError?: (message: string) => void;
}

export function openStore(url: DatabaseUrl, opts: StoreOptions = {}): Store {
  if (url.engine === 'sqlite') {
    if (url.path !== ':memory:') mkdirSync(dirname(url.path), { recursive: true });
    const sqlite = new SQLite(url.path);
    // WAL lets readers run beside the one writer; NORMAL sync is durable across process
    // crashes (only an OS crash can lose the last transactions).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
    // 16 MB of page cache by default keeps a server that streams 100 MB files under 250 MB
    // of memory; a bigger database read often may want more (KPIHUB_SQLITE_CACHE_MB).
    sqlite.pragma(`cache_size = -${(url.cacheMb ?? 16) * 1024}`);
    // A WAL that grew during a long import is trimmed back to 64 MB when it starts over.
    sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
    if (url.path === ':memory:')
      return { db, reader: db, caps: sqliteCapabilities, sqlite, close: () => db.destroy() };
    const readHandle = new SQLite(url.path, { readonly: true });
    readHandle.pragma('busy_timeout = 10000');
    const reader = new Kysely<DB>({
      dialect: new SqliteDialect({ database: cachingStatements(readHandle) }),
    });
    const checkpointer = opts.checkpointInBackground
      ? startWalCheckpointer(sqlite, url.path, { onError: opts.onCheckpointError })
      : undefined;
    return {
      db,
      reader,
      caps: sqliteCapabilities,
      sqlite,
      close: async () => {
        await checkpointer?.stop();
        await reader.destroy();
        await db.destroy();
      },
    };
  }
  const schema = url.schema;
  const pool = new pg.Pool({
    connectionString: url.connectionString,
    max: opts.poolSize ?? 10,
    types: pgTypes(),
    options: `-c search_path=${schema}`,
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, reader: db, caps: postgresCapabilities, schema, pool, close: () => db.destroy() };
}
