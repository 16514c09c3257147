import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDialectConfig, sql } from 'kysely';
import type { DatabaseUrl } from '../../config.ts';
import type { DB } from '../schema.ts';
import { conflictSets } from './conflict-sets.ts';
import { sqliteQueries } from './sqlite-queries.ts';
import { prepared, runEach } from './sqlite-statements.ts';
import { startWalCheckpointer } from './sqlite-wal-checkpointer.ts';
import type { BulkInsert, ChunkReader, EngineOps, OpenedStore, StoreOptions } from './types.ts';

// Length: sqliteEngine is one object literal of EngineOps' methods (each short).

// SQLite through better-sqlite3: one writer, a synchronous in-process driver. Bulk paths run
// cached prepared statements on the raw handle instead of building multi-row SQL.

const STATEMENT_CACHE = 256;

/**
 * better-sqlite3 behind Kysely with its statements kept: Kysely prepares every query anew,
 * and preparing cost more than running the small queries of a request. Statements are
 * reused by SQL text (most recently used kept); the driver is synchronous, so one
 * statement is never in use twice at once.
 */
function cachingStatements(handle: SQLite.Database): SqliteDialectConfig['database'] {
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

const handles = new WeakMap<EngineOps, SQLite.Database>();

/** The raw better-sqlite3 handle behind a SQLite store (undefined on other engines): for tests of SQLite itself. */
export function sqliteHandleOf(store: OpenedStore): SQLite.Database | undefined {
  return handles.get(store.engine);
}

export function openSqlite(url: Extract<DatabaseUrl, { engine: 'sqlite' }>, opts: StoreOptions): OpenedStore {
  if (url.path !== ':memory:') mkdirSync(dirname(url.path), { recursive: true });
  const handle = new SQLite(url.path);
  // WAL lets readers run beside the one writer; NORMAL sync is durable across process
  // crashes (only an OS crash can lose the last transactions).
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = NORMAL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 10000');
  // 16 MB of page cache by default keeps a server that streams 100 MB files under 250 MB
  // of memory; a bigger database read often may want more (KPIHUB_SQLITE_CACHE_MB).
  handle.pragma(`cache_size = -${(url.cacheMb ?? 16) * 1024}`);
  // A WAL that grew during a long import is trimmed back to 64 MB when it starts over.
  handle.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachingStatements(handle) }) });
  const engine = sqliteEngine(handle);
  if (url.path === ':memory:') return { db, reader: db, engine, close: () => db.destroy() };
  const readHandle = new SQLite(url.path, { readonly: true });
  readHandle.pragma('busy_timeout = 10000');
  const reader = new Kysely<DB>({
    dialect: new SqliteDialect({ database: cachingStatements(readHandle) }),
  });
  const checkpointer = opts.checkpointInBackground
    ? startWalCheckpointer(handle, url.path, { onError: opts.onCheckpointError })
    : undefined;
  return {
    db,
    reader,
    engine,
    close: async () => {
      await checkpointer?.stop();
      await reader.destroy();
      await db.destroy();
    },
  };
}

/** A unique index or primary key refused a row. */
export function isSqliteUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

// Specs are module constants: each one's ON CONFLICT text is built once.
const tails = new WeakMap<BulkInsert<unknown>, string>();

function conflictTail(spec: BulkInsert<unknown>): string {
  let tail = tails.get(spec);
  if (tail === undefined) {
    const c = spec.conflict;
    const sets = conflictSets(spec);
    const action = sets ? `do update set ${sets}` : 'do nothing';
    tail = c ? `on conflict (${c.target.join(', ')}) ${action}` : '';
    tails.set(spec, tail);
  }
  return tail;
}

export function sqliteEngine(handle: SQLite.Database): EngineOps {
  // A second Kysely over the same handle, for withPinnedConnection. Never destroyed:
  // destroying it would close the store's own handle.
  let twin: Kysely<DB> | undefined;
  let chunkReader: ChunkReader | undefined;
  // Write transactions asked for and not yet ended: one runs, the rest wait for the connection.
  let writers = 0;
  const engine: EngineOps = {
    types: {
      idType: 'text',
      dateType: 'text',
      timestampType: 'text',
      blobType: 'blob',
      serialType: 'integer',
      clusteredTableSuffix: 'without rowid',
      keyChanges: 'rebuild',
    },
    concurrentWriters: false,
    maxParams: 32_766,

    async writeTransaction(db, fn) {
      // Holding Kysely's single connection keeps every other query out until we finish; the
      // statements run on the raw handle, compiled once (Kysely would prepare them each time).
      writers++;
      try {
        return await db.connection().execute(async (conn) => {
          prepared(handle, 'begin immediate').run();
          try {
            const out = await fn(conn);
            prepared(handle, 'commit').run();
            return out;
          } catch (e) {
            if (handle.inTransaction) prepared(handle, 'rollback').run();
            throw e;
          }
        });
      } finally {
        writers--;
      }
    },

    connectionUse: () => ({
      size: 1,
      inUse: writers > 0 ? 1 : 0,
      idle: writers > 0 ? 0 : 1,
      waiting: Math.max(0, writers - 1),
    }),

    migrationSession(db, fn) {
      return this.writeTransaction(db, fn);
    },

    // One writer at a time: there is no concurrent writer of the same keys to wait for.
    refreshStatistics: async () => [],
    lockKeys: async () => {},

    // One writer at a time: the single UPDATE … RETURNING of a claim is atomic by itself.
    skipLockedRows: (query) => query,

    withPinnedConnection(store, fn) {
      // The store already has one connection; a second Kysely over the same handle skips
      // the first one's lock, which a transaction holds until it ends (a query through the
      // store would wait for ever).
      twin ??= new Kysely<DB>({ dialect: new SqliteDialect({ database: cachingStatements(handle) }) });
      return fn(store, twin, undefined);
    },

    // Dates are 'YYYY-MM-DD' text; 'weekday 0' moves to the coming Sunday (or stays on one).
    dayBucket: (column, g) =>
      g === 'day'
        ? sql<string>`${sql.ref(column)}`
        : g === 'week'
          ? sql<string>`date(${sql.ref(column)}, 'weekday 0', '-6 days')`
          : sql<string>`date(${sql.ref(column)}, 'start of month')`,

    // Dates are stored as 'YYYY-MM-DD' text already.
    dateText: (column) => sql<string>`${sql.ref(column)}`,

    stringAgg: (expression, separator) => sql<string>`group_concat(${expression}, ${sql.lit(separator)})`,

    jsonText: (column, key) => sql`json_extract(${sql.ref(column)}, ${`$."${key.replace(/"/g, '')}"`})`,

    isUniqueViolation: isSqliteUniqueViolation,

    async insertRows<T>(_db: Kysely<DB>, spec: BulkInsert<T>, rows: T[]) {
      runEach(
        handle,
        spec.table,
        spec.columns,
        rows,
        conflictTail(spec as BulkInsert<unknown>),
        spec.rowsPerStatement,
      );
    },

    async insertRowsTogether(db, parts, first = []) {
      // One writer, statements run in-process: the parts one after the other.
      for (const f of first) await f.run(db);
      for (const p of parts) await this.insertRows(db, p.spec, p.rows);
    },

    // One writer at a time: no other writer's locks to meet, in any order.
    staging: () => undefined,

    // One writer at a time: what is free now stays free until this transaction inserts it.
    async claimRows<T>(db: Kysely<DB>, spec: BulkInsert<T>, rows: T[]): Promise<T[]> {
      const target = spec.conflict?.target ?? [];
      const probe = prepared(
        handle,
        `select * from ${spec.table} where ${target.map((c) => `${c} = ?`).join(' and ')}`,
      );
      const taken: T[] = [];
      const free: T[] = [];
      for (const row of rows) {
        const stored = probe.get(...target.map((c) => (row as Record<string, unknown>)[c])) as T | undefined;
        if (stored) taken.push(stored);
        else free.push(row);
      }
      await this.insertRows(db, spec, free);
      return taken;
    },

    payloadChunkReader() {
      // The payload was committed before the job could be claimed; read on the writer's
      // own connection (its transaction may be open).
      if (!chunkReader) {
        const stmt = handle.prepare('select data from job_payload_chunks where job_id = ? and seq = ?');
        chunkReader = async (jobId, seq) => (stmt.get(jobId, seq) as { data: Buffer } | undefined)?.data;
      }
      return chunkReader;
    },

    queries: sqliteQueries(handle),
  };
  handles.set(engine, handle);
  return engine;
}
