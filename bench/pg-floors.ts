// The raw PostgreSQL floors the write sections compare against (issue 14): the same points
// written by hand-written SQL into the real data_points and point_revisions tables of a
// freshly migrated schema (same indexes as the server's), with none of the server's work
// (HTTP, JSON, validation, locks, rollup marks). Each returns points per second.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { parseDatabaseUrl } from '../src/config.ts';
import { newId } from '../src/core/ids.ts';
import { openStore } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { PG_BASE, type PgSchema, pgSchema } from './engines.ts';
import type { RawPoint } from './raw-upsert.ts';

const POINT_COLUMNS = 'id, period_start, period_end, coord_key, coordinates, value';

/** A migrated schema with one organization and one metric; the caller drops the schema. */
async function migratedSchema(): Promise<{ schema: PgSchema; org: string; metric: string; at: string }> {
  const schema = await pgSchema('raw');
  const store = openStore(parseDatabaseUrl(schema.databaseUrl));
  await migrateToLatest(store);
  await store.close();
  const org = newId();
  const metric = newId();
  const at = new Date().toISOString();
  const client = new pg.Client({ connectionString: PG_BASE });
  await client.connect();
  try {
    await client.query(
      `insert into ${schema.name}.organizations (id, name, created_at) values ($1, 'raw', $2)`,
      [org, at],
    );
    await client.query(
      `insert into ${schema.name}.metrics (id, org_id, name, value_type, required, sort_order, created_at, updated_at)
       values ($1, $2, 'raw', 'number', 0, 0, $3, $3)`,
      [metric, org, at],
    );
  } finally {
    await client.end();
  }
  return { schema, org, metric, at };
}

/**
 * The upsert into data_points of the rows `source` yields ($1 org, $2 metric, $3 time), and
 * with `revisions` one point_revisions row per point written in the same statement (a CTE),
 * as the floor of a path that keeps revisions.
 */
function upsertSql(schema: string, source: string, revisions: boolean): string {
  const upsert = `insert into ${schema}.data_points (id, org_id, metric_id, period_start, period_end, coord_key,
      coordinates, value, created_at, updated_at, created_by, updated_by)
    select s.id::uuid, $1, $2, s.period_start::date, s.period_end::date, s.coord_key, s.coordinates, s.value,
      $3, $3, 'raw', 'raw'
    from ${source}
    on conflict (metric_id, period_start, period_end, coord_key, org_id) do update set value = excluded.value,
      updated_at = excluded.updated_at, updated_by = excluded.updated_by`;
  if (!revisions) return upsert;
  return `with up as (${upsert} returning id, value)
    insert into ${schema}.point_revisions (org_id, point_id, metric_id, op, old_value, new_value, actor, request_id,
      job_id, changed_at)
    select $1, up.id, $2, 'insert', null, up.value, 'raw', 'raw', null, $3 from up`;
}

/**
 * A multi-row `INSERT … ON CONFLICT DO UPDATE` of `batch` points a statement (one
 * transaction each, as the native PUT commits a batch), `connections` statements in
 * flight, time-ordered ids.
 */
export async function pgRawUpsert(
  total: number,
  point: (n: number) => RawPoint,
  opts: { revisions?: boolean; connections?: number; batch?: number } = {},
): Promise<number> {
  const connections = opts.connections ?? 4;
  const batch = opts.batch ?? 1000;
  const { schema, org, metric, at } = await migratedSchema();
  const pool = new pg.Pool({ connectionString: PG_BASE, max: connections });
  const statements = new Map<number, string>();
  const statementFor = (rows: number) => {
    let text = statements.get(rows);
    if (!text) {
      const tuples = Array.from({ length: rows }, (_, r) => {
        const p = 4 + r * 6;
        return `($${p}, $${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5})`;
      });
      const source = `(values ${tuples.join(', ')}) as s (${POINT_COLUMNS})`;
      text = upsertSql(schema.name, source, opts.revisions ?? false);
      statements.set(rows, text);
    }
    return text;
  };
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < total) {
          const from = next;
          next = Math.min(total, next + batch);
          const params: unknown[] = [org, metric, at];
          for (let n = from; n < next; n++) {
            const p = point(n);
            params.push(newId(), p.start, p.end, p.coordKey, p.coordinates, p.value);
          }
          await pool.query(statementFor(next - from), params);
        }
      }),
    );
    return total / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
    await schema.drop();
  }
}

/** COPY's text format: backslash, tab and line breaks escaped; null as \N. */
const copyField = (v: string | null) =>
  v === null
    ? '\\N'
    : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/**
 * The set-based floor of the batch paths (Workiva, CSV): per transaction of `perTransaction`
 * points, COPY them into a staging table, then one `INSERT … SELECT … ON CONFLICT DO UPDATE`
 * merge into data_points that also inserts their revision rows. One connection, as one
 * worker applies one batch. The staging table is unlogged and lives in the bench's schema.
 */
export async function pgCopyMerge(
  total: number,
  point: (n: number) => RawPoint,
  opts: { perTransaction?: number } = {},
): Promise<number> {
  const perTransaction = opts.perTransaction ?? total;
  const { schema, org, metric, at } = await migratedSchema();
  const staging = `${schema.name}.raw_staging`;
  const client = new pg.Client({ connectionString: PG_BASE });
  await client.connect();
  try {
    const merge = upsertSql(schema.name, `${staging} s`, true);
    const started = performance.now();
    for (let from = 0; from < total; from += perTransaction) {
      const to = Math.min(total, from + perTransaction);
      await client.query('begin');
      await client.query(
        `create unlogged table ${staging} (id text, period_start text, period_end text, coord_key text,
           coordinates text, value text)`,
      );
      // Lines made 1,000 at a time, so the rows are never all in memory at once.
      function* lines() {
        for (let n = from; n < to; n += 1000) {
          let chunk = '';
          for (let k = n; k < Math.min(to, n + 1000); k++) {
            const p = point(k);
            chunk += `${newId()}\t${p.start}\t${p.end}\t${copyField(p.coordKey)}\t${copyField(p.coordinates)}\t${copyField(p.value)}\n`;
          }
          yield chunk;
        }
      }
      await pipeline(
        Readable.from(lines()),
        client.query(copyFrom(`copy ${staging} (${POINT_COLUMNS}) from stdin`)),
      );
      await client.query(merge, [org, metric, at]);
      await client.query(`drop table ${staging}`);
      await client.query('commit');
    }
    return total / ((performance.now() - started) / 1000);
  } finally {
    await client.end();
    await schema.drop();
  }
}
