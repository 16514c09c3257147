// Every difference between the two engines lives here, as flags and small helpers that
// the rest of the store reads. Nothing else in the code asks "is this SQLite?".

export interface Capabilities {
  readonly engine: 'sqlite' | 'postgres';
  /** Column type for ids: native uuid on PostgreSQL (15–25% faster than text there). */
  readonly idType: 'text' | 'uuid';
  /** Column type for calendar dates. */
  readonly dateType: 'text' | 'date';
  /** Column type for timestamps (ISO-8601 text on SQLite, timestamptz on PostgreSQL). */
  readonly timestampType: 'text' | 'timestamptz';
  /** Large binary payloads. */
  readonly blobType: 'blob' | 'bytea';
  /** `SELECT … FOR UPDATE SKIP LOCKED` is available for job claiming. */
  readonly skipLocked: boolean;
  /** The engine allows one writer at a time: batch writes are serialized in-process. */
  readonly singleWriter: boolean;
  /** Most bind parameters one statement may carry. */
  readonly maxParams: number;
  /** Case-insensitive LIKE operator. */
  readonly ilike: 'like' | 'ilike';
  /**
   * The driver runs in-process and synchronously (better-sqlite3): bulk paths use cached
   * prepared statements on the raw handle instead of building multi-row SQL.
   */
  readonly syncDriver: boolean;
  /** Write transactions take per-metric advisory locks (PostgreSQL), so concurrent writers
   * of one metric serialize; SQLite instead starts them with BEGIN IMMEDIATE. */
  readonly advisoryLocks: boolean;
  /** Auto-incrementing integer primary key type (SQLite's rowid alias, PostgreSQL's bigserial). */
  readonly serialType: 'integer' | 'bigserial';
}

export const sqliteCapabilities: Capabilities = Object.freeze({
  engine: 'sqlite',
  idType: 'text',
  dateType: 'text',
  timestampType: 'text',
  blobType: 'blob',
  skipLocked: false,
  singleWriter: true,
  maxParams: 32_766,
  ilike: 'like',
  serialType: 'integer',
  syncDriver: true,
  advisoryLocks: false,
});

export const postgresCapabilities: Capabilities = Object.freeze({
  engine: 'postgres',
  idType: 'uuid',
  dateType: 'date',
  timestampType: 'timestamptz',
  blobType: 'bytea',
  skipLocked: true,
  singleWriter: false,
  maxParams: 65_534,
  ilike: 'ilike',
  serialType: 'bigserial',
  syncDriver: false,
  advisoryLocks: true,
});
