import type { Kysely, RawBuilder, SelectQueryBuilder } from 'kysely';
import type { DB } from '../schema.ts';
import type { DeferredStatement, EngineQueries } from './queries.ts';

// Everything that differs between the database engines, behind one interface: openStore
// (database.ts) picks an engine once, and the rest of the code asks it, never "which engine
// is this?". An engine is sqlite.ts or postgres.ts in this folder; adding one means
// implementing EngineOps and adding a line to database.ts's engine table.

/** Column types the migrations create, per engine. */
export interface ColumnTypes {
  /** Ids: native uuid on PostgreSQL (15–25% faster than text there). */
  readonly idType: 'text' | 'uuid';
  /** Calendar dates. */
  readonly dateType: 'text' | 'date';
  /** Timestamps (ISO-8601 text on SQLite, timestamptz on PostgreSQL). */
  readonly timestampType: 'text' | 'timestamptz';
  /** Large binary payloads. */
  readonly blobType: 'blob' | 'bytea';
  /** Auto-incrementing integer primary key (SQLite's rowid alias, PostgreSQL's bigserial). */
  readonly serialType: 'integer' | 'bigserial';
  /**
   * What ends a CREATE TABLE whose rows should be stored in primary-key order: SQLite's
   * WITHOUT ROWID (a range read by key is then one sequential scan instead of a lookup per
   * row: 10,000 rollup rows in 3 ms instead of 24); nothing on PostgreSQL.
   */
  readonly clusteredTableSuffix: string;
  /**
   * How a migration changes a table's primary key or foreign keys: ALTER TABLE in place
   * (PostgreSQL), or a rebuild of the table (SQLite, whose ALTER TABLE cannot; see
   * engine/sqlite-rebuild.ts).
   */
  readonly keyChanges: 'alter' | 'rebuild';
}

/** What a column holds, for engines that send a column's values as one typed array. */
export type ColumnKind = 'uuid' | 'date' | 'text' | 'timestamptz' | 'integer' | 'bigint';

/** A multi-row insert (or upsert) of rows of one table. */
export interface BulkInsert<T> {
  readonly table: keyof DB & string;
  readonly columns: readonly (keyof T & string)[];
  /**
   * ON CONFLICT: the unique key, the columns to overwrite from the new row, and the columns
   * to add the new row's value to (`n = n + excluded.n`: counters); neither: do nothing.
   */
  readonly conflict?: {
    readonly target: readonly string[];
    readonly update?: readonly string[];
    readonly add?: readonly string[];
  };
  /**
   * Rows per cached statement on engines that run prepared statements in-process (SQLite):
   * several rows a call pay off for wide rows written in thousands (data points: +40%), not
   * for small mixed batches (analytics measured slower). Default 1.
   */
  readonly rowsPerStatement?: number;
  /**
   * Each column's kind: given, engines with array parameters (PostgreSQL) send one array per
   * column, unnested into rows; a statement with a parameter per value (17,000 for 1,000
   * points) spent longer being parsed and planned than written.
   */
  readonly columnKinds?: Readonly<Record<string, ColumnKind>>;
}

/** Rows for one BulkInsert: `T` erased, so parts of several tables fit one list. */
export interface BulkRows {
  // biome-ignore lint/suspicious/noExplicitAny: each part pairs a spec with rows of its own type
  readonly spec: BulkInsert<any>;
  readonly rows: unknown[];
}

/** What an engine opens: database.ts's Store. */
export interface OpenedStore {
  readonly db: Kysely<DB>;
  /**
   * For reads that must not wait behind a long write transaction (auth, job status): on
   * SQLite a second, read-only connection that sees the last committed state while a
   * batch is being written; elsewhere the same as `db`.
   */
  readonly reader: Kysely<DB>;
  /** Everything that differs between the engines. */
  readonly engine: EngineOps;
  /** PostgreSQL schema the tables live in (undefined on SQLite). */
  readonly schema?: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL: connections in the pool (default: the URL's KPIHUB_PG_POOL_SIZE, else 10). */
  poolSize?: number;
  /**
   * PostgreSQL: the pool's least size, whatever poolSize says (a worker's jobs each pin one
   * connection and read beside it on another: fewer than workers + 2 could leave every
   * connection pinned and every job waiting for one more).
   */
  minPoolSize?: number;
  /**
   * What the process opens the store for, appended to PostgreSQL's application_name
   * ("kpihub-api", "kpihub-worker"), so pg_stat_activity tells the pools apart.
   */
  role?: 'api' | 'worker' | 'cli';
  /**
   * SQLite file: checkpoint the WAL from a background thread instead of inside commits
   * (engine/sqlite-wal-checkpointer.ts). For long-running processes that write: the server and workers.
   */
  checkpointInBackground?: boolean;
  /** Told when the background checkpoint fails (the writer then checkpoints by itself). */
  onCheckpointError?: (message: string) => void;
}

export type ChunkReader = (jobId: string, seq: number) => Promise<Buffer | undefined>;

export interface EngineOps {
  readonly types: ColumnTypes;
  /**
   * Several write transactions may run at once (PostgreSQL). When false (SQLite) writes are
   * serialized in-process and grouped into shared commits (group-commit.ts).
   */
  readonly concurrentWriters: boolean;
  /** Most bind parameters one statement may carry. */
  readonly maxParams: number;

  /**
   * A write transaction on `db`. SQLite starts it with BEGIN IMMEDIATE, taking the write lock
   * up front: a deferred transaction that reads and then writes fails at once with
   * SQLITE_BUSY when another process wrote in between, whereas an immediate one waits its
   * turn (busy_timeout). PostgreSQL: an ordinary transaction.
   */
  writeTransaction<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>;
  /**
   * Runs the migrator on the handle it is given, one process at a time. Kysely's migrator
   * locks PostgreSQL itself (an advisory lock, transactional DDL); on SQLite it takes no
   * lock and no transaction, so processes starting together on one new file ran the same
   * migration twice ("table organizations already exists"): there the migrations run in one
   * immediate write transaction, which other processes wait for, and roll back whole.
   */
  migrationSession<T>(db: Kysely<DB>, fn: (db: Kysely<DB>) => Promise<T>): Promise<T>;
  /**
   * Brings the planner's statistics up to date for the tables that changed a lot since they
   * were last gathered, and names them. PostgreSQL plans every read from them, and a server
   * may run without autovacuum (or behind a bulk load it has not caught up with): a paged
   * export of 1M never-analyzed points was planned as a bitmap scan and a sort per page,
   * 1.3 s a page. SQLite: nothing (its plans here follow the indexes without statistics).
   */
  refreshStatistics(db: Kysely<DB>): Promise<string[]>;
  /** Serializes concurrent writers of the same keys (metric ids) until the transaction ends. */
  lockKeys(trx: Kysely<DB>, keys: string[]): Promise<void>;
  /**
   * A job claim's candidate query, made to skip rows other claimers hold (FOR UPDATE SKIP
   * LOCKED) where writers are concurrent; unchanged where one writer runs at a time.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any table set and selection of DB
  skipLockedRows<Q extends SelectQueryBuilder<DB, any, any>>(query: Q): Q;
  /**
   * Runs `fn` with `pinned` (a Store all of whose queries use one connection) and `joined`
   * (a handle on that connection that never waits for it): open a transaction through
   * `pinned`, and `joined` queries made meanwhile join that transaction. A job's data write
   * and its end must commit in one transaction. `beside`: a Store whose reads run on other
   * connections than that one, so never behind its statements (PostgreSQL: the pool, which
   * must have one free: workers size theirs W + 2), or undefined where the write holds the
   * only connection (SQLite: reads go through the transaction).
   */
  withPinnedConnection<S extends OpenedStore, T>(
    store: S,
    fn: (pinned: S, joined: Kysely<DB>, beside: S | undefined) => Promise<T>,
  ): Promise<T>;
  /**
   * The first day of the day, ISO week (Monday) or month that the date column `column` falls
   * in, as a date ('YYYY-MM-DD'). Has no bind parameters, so the same expression can be
   * selected and grouped by.
   */
  dayBucket(column: string, granularity: 'day' | 'week' | 'month'): RawBuilder<string>;
  /** A date column as 'YYYY-MM-DD' text, whatever the session's date style. */
  dateText(column: string): RawBuilder<string>;
  /** The aggregate joining a group's texts with `separator` (group_concat, string_agg). */
  stringAgg(expression: RawBuilder<string>, separator: string): RawBuilder<string>;
  /** `column`'s JSON text, key `key` read out as text (equality-comparable). */
  jsonText(column: string, key: string): RawBuilder<unknown>;
  /** A unique index (or primary key) refused a row. */
  isUniqueViolation(error: unknown): boolean;
  /** Inserts (or upserts) rows inside the caller's transaction `db`. */
  insertRows<T>(db: Kysely<DB>, spec: BulkInsert<T>, rows: T[]): Promise<void>;
  /**
   * Inserts (or upserts) rows into several tables, as one statement where the engine can
   * (PostgreSQL: data-modifying WITH queries, run on one snapshot in no set order), else one
   * table after the other, in the order given. So no part may write a row another part
   * writes, or need another part's rows (a foreign key to a row inserted by another part).
   * `first`: statements (deletes) joined to that one statement, else run before the inserts;
   * the same rule holds for them (no row they delete is one a part writes). Joined, they run
   * in no set order either (PostgreSQL runs unread WITH parts after the main one).
   */
  insertRowsTogether(
    db: Kysely<DB>,
    parts: readonly BulkRows[],
    first?: readonly DeferredStatement[],
  ): Promise<void>;
  /**
   * Where a transaction keeps a batch's inputs to write them in identity order
   * (PointPorts.pointStaging): where writers are concurrent (PostgreSQL); undefined where
   * transactions run one at a time (SQLite), which write as they go.
   */
  staging(db: Kysely<DB>): StagingTable | undefined;
  /**
   * Inserts each of `rows` whose unique key (`spec.conflict.target`) is free, and returns the
   * stored rows of the others, in the order of `rows`. Where writers are concurrent
   * (PostgreSQL) every row named is locked until the transaction ends, the inserted ones and
   * the taken ones alike, in the order of `rows`, by one statement: callers that sort their
   * rows the same way lock in one global order and cannot deadlock each other. Rows must have
   * distinct keys.
   */
  claimRows<T>(db: Kysely<DB>, spec: BulkInsert<T>, rows: T[]): Promise<T[]>;
  /**
   * Reads job payload chunks. A handler reads its payload while its own write transaction is
   * open; on SQLite that transaction holds Kysely's only connection, so the reader reads on
   * the same connection directly. `db` is the connection to read through otherwise.
   */
  payloadChunkReader(db: Kysely<DB>): ChunkReader;
  /** Lookups and writes whose fastest form differs per engine beyond SQL text. */
  readonly queries: EngineQueries;
  /**
   * The connections in use now, for the metrics. PostgreSQL: the pool's (its size, checked
   * out, idle, and callers waiting for one). SQLite: the one writer connection; `waiting` are
   * write transactions queued behind the running one (a read uses its own connection).
   */
  connectionUse(): ConnectionUse;
}

export interface ConnectionUse {
  size: number;
  inUse: number;
  idle: number;
  waiting: number;
}

/** A staged input: the identity that orders it, and the input as JSON text. */
export interface StagedRow {
  metric_id: string;
  period_start: string;
  period_end: string;
  coord_key: string;
  /** The staged point: a value JSON can hold (stored as JSON text). */
  point: unknown;
  /** An add's point row, as inserted if its identity has no point yet. */
  fresh?: DB['data_points'];
}

/** A page of staged points (JSON text) still to write, and how many of the page the store wrote. */
export interface StagedPage {
  points: string[];
  written: number;
}

/** What the rows a drain inserts record beside them (their revisions' request and job, their marks' time). */
export interface StagedInsert {
  requestId: string | null;
  jobId: string | null;
  markedAt: string;
}

/** See EngineOps.staging. */
export interface StagingTable {
  /**
   * Stores `rows`. The statement is built at once, and sent once `after` (the add before it,
   * still running) has succeeded: Node makes the next chunk's parameters while PostgreSQL
   * stores the last one.
   */
  add(rows: StagedRow[], after?: Promise<void>): Promise<void>;
  /**
   * The points in identity order, then in the order they were added; `size` at a time. With
   * `insert`, each page's fresh rows are inserted first where their identity is free (with
   * their revisions and marks), and only the points not written come back.
   */
  drain(size: number, insert?: StagedInsert): AsyncIterable<StagedPage>;
  /**
   * What drain's `insert` does for a page, for rows kept elsewhere (a batch kept in memory):
   * `rows` (one per identity, in identity order, each a new point's row) inserted where their
   * identity is free, with their revisions and rollup marks, the others locked. Built now, run
   * when called; the run gives the positions (from 0) of the rows not inserted.
   */
  claimFresh(rows: DB['data_points'][], insert: StagedInsert): () => Promise<number[]>;
}
