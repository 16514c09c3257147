import { Kysely, type KyselyPlugin, PostgresDialect, type RawBuilder, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseUrl } from '../../config.ts';
import type { DB } from '../schema.ts';
import { conflictSets } from './conflict-sets.ts';
import { postgresQueries } from './postgres-queries.ts';
import { SchemaPlugin } from './postgres-schema.ts';
import { postgresStaging } from './postgres-staging.ts';
import { unnestedRows } from './postgres-unnest.ts';
import type { DeferredStatement } from './queries.ts';
import { rowChunks } from './row-chunks.ts';
import type { BulkInsert, BulkRows, EngineOps, OpenedStore, StoreOptions } from './types.ts';

// Length: postgresEngine is one object literal of EngineOps' methods (each short).

// PostgreSQL through a pg pool: concurrent writers, per-key advisory locks, set-based bulk
// statements.

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

export function openPostgres(
  url: Extract<DatabaseUrl, { engine: 'postgres' }>,
  opts: StoreOptions,
): OpenedStore {
  const schema = url.schema;
  const pool = new pg.Pool({
    connectionString: url.connectionString,
    max: Math.max(opts.poolSize ?? url.poolSize ?? 10, opts.minPoolSize ?? 1),
    application_name: [url.applicationName ?? 'kpihub', opts.role].filter(Boolean).join('-'),
    types: pgTypes(),
    // No startup options: PgBouncer in transaction mode refuses them. The schema is named in
    // every statement instead (postgres-schema.ts).
  });
  const plugins = [new SchemaPlugin(schema)];
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins });
  return {
    db,
    reader: db,
    engine: postgresEngine(pool, plugins, schema),
    schema,
    close: () => db.destroy(),
  };
}

const MAX_PARAMS = 65_534;

/** unique_violation: a unique index or primary key refused a row. */
export function isPostgresUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

/** Rows changed since the last ANALYZE past which a table's statistics are gathered again. */
const STALE_ROWS = 1000;
const STALE_FRACTION = 0.1;

export function postgresEngine(pool: pg.Pool, plugins: KyselyPlugin[], schema = 'public'): EngineOps {
  return {
    types: {
      idType: 'uuid',
      dateType: 'date',
      timestampType: 'timestamptz',
      blobType: 'bytea',
      serialType: 'bigserial',
      clusteredTableSuffix: '',
      keyChanges: 'alter',
    },
    concurrentWriters: true,
    maxParams: MAX_PARAMS,

    writeTransaction: (db, fn) => db.transaction().execute(fn),

    // Kysely's migrator takes an advisory lock and a transaction on PostgreSQL by itself.
    migrationSession: (db, fn) => fn(db),

    async refreshStatistics(db) {
      // autovacuum's own rule (threshold + fraction of the rows), and not again within a
      // minute of an ANALYZE by anyone.
      const stale = await sql<{ relname: string }>`
        select relname from pg_stat_user_tables
        where schemaname = ${schema}
          and n_mod_since_analyze > ${STALE_ROWS}::float8 + ${STALE_FRACTION}::float8 * n_live_tup
          and coalesce(greatest(last_analyze, last_autoanalyze), 'epoch') < now() - interval '1 minute'
        order by relname`.execute(db);
      const names = stale.rows.map((r) => r.relname);
      for (const name of names) await sql`analyze ${sql.table(name)}`.execute(db);
      return names;
    },

    async lockKeys(trx, keys) {
      // Sorted, so two transactions always take their locks in the same order (no deadlock).
      for (const key of [...new Set(keys)].sort()) {
        await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
      }
    },

    skipLockedRows: (query) => query.forUpdate().skipLocked() as typeof query,

    connectionUse: () => ({
      size: pool.options.max,
      inUse: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),

    async withPinnedConnection(store, fn) {
      // One pooled client serves both handles.
      const client = await pool.connect();
      const shared = { query: client.query.bind(client), release: () => {} };
      const db = new Kysely<DB>({
        dialect: new PostgresDialect({ pool: { connect: async () => shared, end: async () => {} } }),
        plugins,
      });
      let failure: Error | undefined;
      try {
        return await fn({ ...store, db, close: async () => {} } as typeof store, db, store);
      } catch (e) {
        failure = e as Error;
        throw e;
      } finally {
        await db.destroy();
        // A client whose transaction failed is discarded rather than returned in doubt.
        client.release(failure && !(failure as { kind?: string }).kind ? failure : undefined);
      }
    },

    // date_trunc's 'week' starts on Monday (ISO); through timestamp, so no time zone is involved.
    dayBucket: (column, g) =>
      g === 'day'
        ? sql<string>`${sql.ref(column)}`
        : sql<string>`cast(date_trunc(${sql.lit(g)}, cast(${sql.ref(column)} as timestamp)) as date)`,

    dateText: (column) => sql<string>`to_char(${sql.ref(column)}, 'YYYY-MM-DD')`,

    stringAgg: (expression, separator) => sql<string>`string_agg(${expression}, ${sql.lit(separator)})`,

    jsonText: (column, key) => sql`(${sql.ref(column)}::jsonb ->> ${key})`,

    isUniqueViolation: isPostgresUniqueViolation,

    insertRows,

    insertRowsTogether,

    claimRows,

    staging: postgresStaging,

    payloadChunkReader: (db) => async (jobId, seq) =>
      (
        await db
          .selectFrom('job_payload_chunks')
          .select('data')
          .where('job_id', '=', jobId)
          .where('seq', '=', seq)
          .executeTakeFirst()
      )?.data,

    queries: postgresQueries(MAX_PARAMS),
  };
}

async function insertRows<T>(db: Kysely<DB>, spec: BulkInsert<T>, rows: T[]): Promise<void> {
  if (rows.length === 0) return;
  if (spec.columnKinds) {
    await unnestedInsert(spec, spec.columnKinds, rows).execute(db);
    return;
  }
  const { conflict } = spec;
  for (const part of rowChunks(rows, spec.columns.length, MAX_PARAMS)) {
    // biome-ignore lint/suspicious/noExplicitAny: the table is named at run time
    let q = (db as Kysely<any>).insertInto(spec.table).values(part);
    if (conflict) {
      q = q.onConflict((oc) => {
        const on = oc.columns(conflict.target as string[]);
        return conflict.update?.length || conflict.add?.length
          ? on.doUpdateSet((eb) =>
              Object.fromEntries([
                ...(conflict.update ?? []).map((c) => [c, eb.ref(`excluded.${c}`)]),
                ...(conflict.add ?? []).map((c) => [
                  c,
                  eb(eb.ref(`${spec.table}.${c}`), '+', eb.ref(`excluded.${c}`)),
                ]),
              ]),
            )
          : on.doNothing();
      });
    }
    await q.execute();
  }
}

/** The insert (or upsert) of `rows` as one statement: one array per column, unnested into rows. */
function unnestedInsert<T>(spec: BulkInsert<T>, kinds: Readonly<Record<string, string>>, rows: T[]) {
  const { conflict } = spec;
  const sets = conflictSets(spec as BulkInsert<unknown>);
  const onConflict = !conflict
    ? sql``
    : sets
      ? sql`on conflict (${sql.raw(conflict.target.join(', '))}) do update set ${sql.raw(sets)}`
      : sql`on conflict (${sql.raw(conflict.target.join(', '))}) do nothing`;
  return sql`
      insert into ${sql.table(spec.table)} (${sql.raw(spec.columns.join(', '))})
      ${unnestedRows(spec.columns, kinds, rows)}
      ${onConflict}`;
}

/**
 * The inserts as one statement: each but the last a data-modifying WITH query (PostgreSQL
 * runs them all, on one snapshot; none may touch a row another writes). One round trip for
 * what took one per table, which matters most where the rows stay locked until the commit.
 */
async function insertRowsTogether(
  db: Kysely<DB>,
  parts: readonly BulkRows[],
  first: readonly DeferredStatement[] = [],
): Promise<void> {
  const present = parts.filter((p) => p.rows.length > 0);
  if (present.some((p) => !p.spec.columnKinds) || first.some((f) => !f.sql)) {
    for (const f of first) await f.run(db);
    for (const p of present) await insertRows(db, p.spec, p.rows);
    return;
  }
  const statements = [
    ...first.map((f) => f.sql as RawBuilder<unknown>),
    ...present.map((p) => unnestedInsert(p.spec, p.spec.columnKinds ?? {}, p.rows)),
  ];
  if (statements.length === 0) return;
  if (statements.length === 1) {
    await statements[0].execute(db);
    return;
  }
  const withs = statements.slice(0, -1).map((q, i) => sql`${sql.raw(`w${i}`)} as (${q})`);
  await sql`with ${sql.join(withs)} ${statements[statements.length - 1]}`.execute(db);
}

/**
 * One INSERT … ON CONFLICT DO UPDATE … WHERE false, its rows taken in the caller's order
 * (WITH ORDINALITY): a free key gets its row, a taken one has its row locked and left as
 * it is ("all rows will be locked when the ON CONFLICT DO UPDATE action is taken", and the
 * WHERE clause updates none). A key another transaction is inserting or holds waits for it.
 * The rows it did not insert are then read, already locked, through their unique index.
 */
async function claimRows<T>(db: Kysely<DB>, spec: BulkInsert<T>, rows: T[]): Promise<T[]> {
  if (rows.length === 0) return [];
  const kinds = spec.columnKinds;
  const target = spec.conflict?.target;
  if (!kinds || !target) throw new Error(`${spec.table}: claimRows needs columnKinds and a conflict target`);
  const set = spec.columns.find((c) => !target.includes(c)) as string;
  const cols = sql.raw(spec.columns.join(', '));
  const keyOf = (r: Record<string, unknown>) => target.map((c) => String(r[c])).join('\u0000');
  const inserted = await sql<Record<string, unknown>>`
    insert into ${sql.table(spec.table)} (${cols})
    select ${cols} from (${unnestedRows(spec.columns, kinds, rows, true)}) r order by r.ord
    on conflict (${sql.raw(target.join(', '))}) do update set ${sql.raw(set)} = excluded.${sql.raw(set)} where false
    returning ${sql.raw(target.join(', '))}`.execute(db);
  // Every row inserted (a batch of new points): nothing is taken, no key to match.
  if (inserted.rows.length === rows.length) return [];
  const fresh = new Set(inserted.rows.map(keyOf));
  const taken = rows.filter((r) => !fresh.has(keyOf(r as Record<string, unknown>)));
  if (taken.length === 0) return [];
  const found = await sql<T>`
    select t.* from (${unnestedRows(target, kinds, taken, true)}) k
    cross join lateral (
      select * from ${sql.table(spec.table)} d
      where ${sql.join(
        target.map((c) => sql`d.${sql.raw(c)} = k.${sql.raw(c)}`),
        sql` and `,
      )}
      limit 1
    ) t
    order by k.ord`.execute(db);
  return [...found.rows];
}
