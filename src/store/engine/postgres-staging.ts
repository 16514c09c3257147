import { type Kysely, sql } from 'kysely';
import { newId } from '../../core/ids.ts';
import type { DB } from '../schema.ts';
import type { StagedInsert, StagedPage, StagedRow, StagingTable } from './types.ts';

// A batch's inputs kept until its end in a temporary table of its own transaction (dropped at
// commit or rollback; temporary tables live in the session's pg_temp schema, never in ours),
// then numbered in identity order and read back by number: the batch then locks its points in
// the order every other writer does (store/points.ts claimPoints) across all its chunks.
//
// Each staged add carries the point row it makes if its identity has none yet. Draining with
// `insert`, one statement per page inserts those rows straight from the table, with their
// revisions and rollup marks, and locks the taken identities of the page, in identity order
// (as claimPoints does); only the inputs whose identity was taken come back to be written
// (issue 14: a file of new points no longer travels to PostgreSQL, back, and again).

/** Rows per INSERT: one array per column, whatever their number. */
const ADD_ROWS = 5000;

/** The staged columns of the new point row, in data_points' names. */
const FRESH = [
  'id',
  'org_id',
  'coordinates',
  'value',
  'notes',
  'status',
  'data_source',
  'task',
  'created_at',
  'updated_at',
  'created_by',
  'updated_by',
] as const;

const KINDS: Record<string, string> = {
  metric_id: 'uuid',
  period_start: 'date',
  period_end: 'date',
  coord_key: 'text',
  seq: 'integer',
  point: 'text',
  id: 'uuid',
  org_id: 'uuid',
  coordinates: 'text',
  value: 'text',
  notes: 'text',
  status: 'text',
  data_source: 'text',
  task: 'text',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  created_by: 'text',
  updated_by: 'text',
};

const IDENTITY = ['metric_id', 'period_start', 'period_end', 'coord_key'] as const;

let tables = 0;

export function postgresStaging(db: Kysely<DB>): StagingTable {
  // Temporary names are per connection; numbered per process all the same, for logs.
  tables = (tables + 1) % 1_000_000;
  const name = sql.raw(`pg_temp.kpihub_staged_${tables}`);
  const sorted = sql.raw(`pg_temp.kpihub_sorted_${tables}`);
  let created = false;
  let seq = 0;
  return {
    async add(rows: StagedRow[]) {
      if (rows.length === 0) return;
      if (!created) {
        // COLLATE "C": byte order, the order JavaScript's string comparison gives the same
        // keys (claimPoints sorts each chunk that way), whatever the database's collation.
        await sql`
          create temporary table ${name} (
            metric_id uuid not null, period_start date not null, period_end date not null,
            coord_key text collate "C" not null, seq integer not null, point text not null,
            id uuid, org_id uuid, coordinates text, value text, notes text, status text,
            data_source text, task text, created_at timestamptz, updated_at timestamptz,
            created_by text, updated_by text
          ) on commit drop`.execute(db);
        created = true;
      }
      for (let i = 0; i < rows.length; i += ADD_ROWS) {
        const part = rows.slice(i, i + ADD_ROWS);
        await insertStaged(db, name, part, seq);
        seq += part.length;
      }
    },

    async *drain(size: number, insert?: StagedInsert) {
      if (!created) return;
      // Numbered once in identity order (then in the order staged), and read back by number.
      await sql`
        create temporary table ${sorted} on commit drop as
        select row_number() over (order by metric_id, period_start, period_end, coord_key, seq)::integer as ord, *
        from ${name}`.execute(db);
      await sql`drop table ${name}`.execute(db);
      await sql`alter table ${sorted} add primary key (ord)`.execute(db);
      for (let from = 0; ; from += size) {
        const page = insert
          ? await insertPage(db, sorted, from, from + size, insert)
          : await readPage(db, sorted, from, from + size);
        if (!page) break;
        yield page;
      }
    },
  };
}

type Sorted = ReturnType<typeof sql.raw>;

/**
 * One INSERT of staged rows numbered from `seq`. Each column is one parameter: an array, or
 * its one value when every row holds the same (a fresh row's organization, actor and times;
 * a delete's null row). The points travel as one JSON array, split by json_array_elements:
 * pg would escape every quote of every point into an array literal, and that was the largest
 * cost of staging a file (issue 14).
 */
async function insertStaged(db: Kysely<DB>, name: Sorted, rows: StagedRow[], seq: number): Promise<void> {
  const varying: string[] = [];
  const arrays: ReturnType<typeof sql>[] = [];
  const select: ReturnType<typeof sql>[] = [];
  const column = (c: string, values: unknown[]) => {
    const first = values[0];
    if (values.every((v) => v === first)) {
      select.push(sql`${first}::${sql.raw(KINDS[c])}`);
      return;
    }
    varying.push(c);
    arrays.push(sql`unnest(${values}::${sql.raw(KINDS[c])}[])`);
    select.push(sql.raw(`r.${c}`));
  };
  for (const c of IDENTITY)
    column(
      c,
      rows.map((r) => r[c]),
    );
  select.push(sql`${seq}::integer - 1 + r.ord::integer`, sql.raw('r.point::text'));
  for (const c of FRESH)
    column(
      c,
      rows.map((r) => (r.fresh ? r.fresh[c] : null)),
    );
  await sql`
    insert into ${name} (${sql.raw([...IDENTITY, 'seq', 'point', ...FRESH].join(', '))})
    select ${sql.join(select)}
    from rows from (${sql.join([...arrays, sql`json_array_elements(${JSON.stringify(rows.map((r) => r.point))}::json)`])})
      with ordinality as r(${sql.raw([...varying, 'point', 'ord'].join(', '))})`.execute(db);
}

/** The staged points numbered (from, to]; undefined past the last. */
async function readPage(
  db: Kysely<DB>,
  sorted: Sorted,
  from: number,
  to: number,
): Promise<StagedPage | undefined> {
  const rows = await sql<{ point: string }>`
    select point from ${sorted} where ord > ${from} and ord <= ${to} order by ord`.execute(db);
  if (rows.rows.length === 0) return undefined;
  return { points: rows.rows.map((r) => r.point), written: 0 };
}

/**
 * One statement: the page's first input of each identity claims it, as claimPoints does
 * (`ON CONFLICT … DO UPDATE … WHERE false`, in identity order: a free identity gets the new
 * row, a taken one is locked and left as it is); each row inserted gets its insert revision and
 * the rollup mark of its month. Back come the inputs of the page it did not write (their
 * identities taken: by another writer, or by an earlier input of this batch) in order, and
 * the number it wrote. Undefined past the last page.
 */
async function insertPage(
  db: Kysely<DB>,
  sorted: Sorted,
  from: number,
  to: number,
  insert: StagedInsert,
): Promise<StagedPage | undefined> {
  const t = (table: keyof DB) => sql.table(table);
  const result = await sql<{ point: string | null; written: number | null }>`
    with page as (
      select * from ${sorted} where ord > ${from} and ord <= ${to}
    ),
    firsts as (
      select distinct on (metric_id, period_start, period_end, coord_key) *
      from page order by metric_id, period_start, period_end, coord_key, ord
    ),
    ins as (
      insert into ${t('data_points')} (id, org_id, metric_id, period_start, period_end, coord_key, coordinates,
        value, notes, status, data_source, task, created_at, updated_at, created_by, updated_by, deleted_at)
      select id, org_id, metric_id, period_start, period_end, coord_key, coordinates,
        value, notes, status, data_source, task, created_at, updated_at, created_by, updated_by, null
      from firsts order by ord
      on conflict (metric_id, period_start, period_end, coord_key, org_id) do update set id = excluded.id where false
      returning id, org_id, metric_id, period_start, value, created_by, created_at
    ),
    revisions as (
      insert into ${t('point_revisions')} (org_id, point_id, metric_id, op, old_value, new_value, actor,
        request_id, job_id, changed_at)
      select org_id, id, metric_id, 'insert', null, value, created_by, ${insert.requestId}, ${insert.jobId},
        created_at
      from ins
    ),
    marks as (
      insert into ${t('rollup_marks')} (metric_id, month, org_id, version, marked_at)
      select distinct metric_id, cast(date_trunc('month', cast(period_start as timestamp)) as date), org_id,
        ${newId()}, ${insert.markedAt}::timestamptz
      from ins
      on conflict do nothing
    )
    select null as point, (select count(*) from ins)::integer as written, 0 as ord
      where exists (select 1 from page)
    union all
    select page.point, null, page.ord from page where not exists (select 1 from ins where ins.id = page.id)
    order by ord`.execute(db);
  if (result.rows.length === 0) return undefined;
  const [head, ...rest] = result.rows;
  return { points: rest.map((r) => r.point as string), written: head.written ?? 0 };
}
