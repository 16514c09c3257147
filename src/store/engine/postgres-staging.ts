import { type CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import { newId } from '../../core/ids.ts';
import { COLUMN_KINDS, POINT_COLUMNS } from '../point-columns.ts';
import type { DB } from '../schema.ts';
import { foldColumns, unnestedRows } from './postgres-unnest.ts';
import type { StagedInsert, StagedRow, StagingTable } from './types.ts';

// A batch's inputs kept until its end in a temporary table of its own transaction (dropped at
// commit or rollback; temporary tables live in the session's pg_temp schema, never in ours),
// then read back in identity order through its primary key: the batch then locks its points in
// the order every other writer does (store/points.ts claimPoints) across all its chunks.
//
// Each staged add carries the point row it makes if its identity has none yet. Draining with
// `insert`, one statement per page inserts those rows straight from the table, with their
// revisions and rollup marks, and locks the taken identities of the page, in identity order
// (as claimPoints does); only the inputs whose identity was taken come back to be written
// (issue 14: a file of new points no longer travels to PostgreSQL, back, and again).

/** Rows per INSERT: one array per column, whatever their number. */
const ADD_ROWS = 5000;

/** Staged rows per page when the drain inserts new points itself. */
const INSERT_PAGE = 10_000;

const IDENTITY = ['metric_id', 'period_start', 'period_end', 'coord_key'] as const;

/** The staged columns of the new point row: the rest of data_points' but deleted_at (a new point is not). */
const FRESH = POINT_COLUMNS.filter(
  (c) => c !== 'deleted_at' && !(IDENTITY as readonly string[]).includes(c),
) as Exclude<(typeof POINT_COLUMNS)[number], 'deleted_at' | (typeof IDENTITY)[number]>[];

let tables = 0;

export function postgresStaging(db: Kysely<DB>): StagingTable {
  // Temporary names are per connection; numbered per process all the same, for logs.
  tables = (tables + 1) % 1_000_000;
  const name = sql.raw(`pg_temp.kpihub_staged_${tables}`);
  let created = false;
  let seq = 0;
  return {
    add(rows: StagedRow[], after: Promise<void> = Promise.resolve()) {
      if (rows.length === 0) return after;
      // Built now, while the statement before runs (issue 14: a 1M-row file's stage phase
      // spent ~20 % of its time with Node waiting on the last insert, then PostgreSQL waiting
      // on Node to make the next one's arrays and JSON).
      const create = created ? undefined : createTable(name);
      const inserts: CompiledQuery[] = [];
      for (let i = 0; i < rows.length; i += ADD_ROWS)
        inserts.push(stagedInsert(name, rows.slice(i, i + ADD_ROWS), seq + i).compile(db));
      // Counted once every statement is built: a build that throws leaves the table as it was.
      created = true;
      seq += rows.length;
      return (async () => {
        await after;
        if (create) await create.execute(db);
        for (const insert of inserts) await db.executeQuery(insert);
      })();
    },

    claimFresh: (rows, insert) => freshClaim(db, rows, insert),

    async *drain(size: number, insert?: StagedInsert) {
      if (!created) return;
      // Page after page through the primary key, each starting after the last one's end.
      let after: StagedKey | undefined;
      // Pages that write their new points here are larger: few of their rows come back, and
      // each statement is planned anew.
      const rows = insert ? Math.max(size, INSERT_PAGE) : size;
      for (;;) {
        const page = insert
          ? await insertPage(db, name, pageAfter(name, after, rows, false), insert)
          : await readPage(db, pageAfter(name, after, rows, true));
        if (!page) break;
        after = page.last;
        yield { points: page.points, written: page.written };
      }
    },
  };
}

/** A staging table's name, as raw SQL. */
type TableName = ReturnType<typeof sql.raw>;

/**
 * The staging table, dropped with its transaction. The primary key is the drain's order, kept
 * as rows come (PostgreSQL has time to spare while Node parses and checks the next chunk):
 * sorting the whole stage at its end cost a 1M-row file 4.4 s. COLLATE "C": byte order, the
 * order JavaScript's string comparison gives the same keys (claimPoints sorts each chunk that
 * way), whatever the database's collation.
 */
function createTable(name: TableName) {
  return sql`
    create temporary table ${name} (
      metric_id uuid not null, period_start date not null, period_end date not null,
      coord_key text collate "C" not null, seq integer not null, point text not null,
      id uuid, org_id uuid, coordinates text, value text, notes text, status text,
      data_source text, task text, created_at timestamptz, updated_at timestamptz,
      created_by text, updated_by text,
      primary key (metric_id, period_start, period_end, coord_key, seq)
    ) on commit drop`;
}

/** Where a page of the stage ends: its last row's key. */
interface StagedKey {
  metric_id: string;
  period_start: string;
  period_end: string;
  coord_key: string;
  seq: number;
}

const ORDER = sql.raw('metric_id, period_start, period_end, coord_key, seq');

/** A staged row's columns but its point: what a page that inserts carries. */
const KEY_AND_FRESH = sql.raw([...IDENTITY, 'seq', ...FRESH].join(', '));

/**
 * The next `size` staged rows after `after`, in the key's order, numbered `ord` in it. A page
 * that inserts leaves the points out (`withPoints` false): they are most of a row's bytes,
 * and only the few rows it gives back need theirs (pagePoint).
 */
function pageAfter(name: TableName, after: StagedKey | undefined, size: number, withPoints: boolean) {
  const where = after
    ? sql`where (${ORDER}) > (${after.metric_id}::uuid, ${after.period_start}::date, ${after.period_end}::date,
        ${after.coord_key}, ${after.seq}::integer)`
    : sql``;
  // `first`: the page's first row of its identity (one window over the index's order: the
  // rows are not sorted again; the identity is compared as one row value, one lag a row).
  return sql`
    select s.*, row_number() over w as ord,
      lag((metric_id, period_start, period_end, coord_key)) over w
        is distinct from (metric_id, period_start, period_end, coord_key) as first
    from (select ${withPoints ? sql`*` : KEY_AND_FRESH} from ${name} ${where} order by ${ORDER} limit ${size}) s
    window w as (order by ${ORDER})`;
}

/**
 * The point of a row of `page`, read back by the staging table's key: one index lookup a row,
 * whatever the statistics (the table is never analyzed).
 */
function pagePoint(name: TableName) {
  return sql`(select t.point from ${name} t
    where (t.metric_id, t.period_start, t.period_end, t.coord_key, t.seq)
      = (page.metric_id, page.period_start, page.period_end, page.coord_key, page.seq))`;
}

type Page = RawBuilder<unknown>;

interface PageRow {
  point: string | null;
  written: number | null;
  metric_id: string;
  period_start: string;
  period_end: string;
  coord_key: string;
  seq: number;
}

/** The page's head row (the number written, the last key), then the points it gives back. */
const HEAD = sql`
    select null as point, (select count(*) from ins)::integer as written,
      l.metric_id, l.period_start, l.period_end, l.coord_key, l.seq, 0 as ord
    from (select * from page order by ord desc limit 1) l`;

function toPage(rows: PageRow[]) {
  if (rows.length === 0) return undefined;
  const [head, ...rest] = rows;
  const { metric_id, period_start, period_end, coord_key, seq } = head;
  return {
    points: rest.map((r) => r.point as string),
    written: head.written ?? 0,
    last: { metric_id, period_start, period_end, coord_key, seq },
  };
}

/** The page's points, as staged; undefined past the last. */
async function readPage(db: Kysely<DB>, page: Page) {
  const result = await sql<PageRow>`
    with page as (${page}), ins as (select 0 where false)
    ${HEAD}
    union all
    select page.point, null, null, null, null, null, null, page.ord from page
    order by ord`.execute(db);
  return toPage(result.rows);
}

/**
 * The INSERT of staged rows numbered from `seq`. Each column is one parameter: an array, or
 * its one value when every row holds the same (a fresh row's organization, actor and times;
 * a delete's null row). The points travel as one JSON array, split by json_array_elements:
 * pg would escape every quote of every point into an array literal, and that was the largest
 * cost of staging a file (issue 14).
 */
function stagedInsert(name: TableName, rows: StagedRow[], seq: number) {
  const identity = foldColumns(IDENTITY, COLUMN_KINDS, (c) => rows.map((r) => r[c]));
  const fresh = foldColumns(FRESH, COLUMN_KINDS, (c) => rows.map((r) => (r.fresh ? r.fresh[c] : null)));
  const points = sql`json_array_elements(${JSON.stringify(rows.map((r) => r.point))}::json)`;
  return sql`
    insert into ${name} (${sql.raw([...IDENTITY, 'seq', 'point', ...FRESH].join(', '))})
    select ${sql.join([...identity.select, sql`${seq}::integer - 1 + r.ord::integer`, sql.raw('r.point::text'), ...fresh.select])}
    from rows from (${sql.join([...identity.sources, ...fresh.sources, points])})
      with ordinality as r(${sql.raw([...identity.names, ...fresh.names, 'point', 'ord'].join(', '))})`;
}

/**
 * One statement: the page's first input of each identity claims it, as claimPoints does
 * (`ON CONFLICT … DO UPDATE … WHERE false`, in identity order: a free identity gets the new
 * row, a taken one is locked and left as it is); each row inserted gets its insert revision and
 * the rollup mark of its month. Back come the inputs of the page it did not write (their
 * identities taken: by another writer, or by an earlier input of this batch) in order, and
 * the number it wrote. Undefined past the last page.
 */
async function insertPage(db: Kysely<DB>, name: TableName, page: Page, insert: StagedInsert) {
  const result = await sql<PageRow>`
    with page as (${page}),
    ${freshInserts(insert)}
    ${HEAD}
    union all
    select ${pagePoint(name)}, null, null, null, null, null, null, page.ord
    from page where not exists (select 1 from ins where ins.id = page.id)
    order by ord`.execute(db);
  return toPage(result.rows);
}

/**
 * A page's claims, for a `page` (numbered `ord`, its identities' first rows marked `first`)
 * whose fresh rows are its point rows: `ins` (the rows inserted), then their revisions and
 * rollup marks.
 */
function freshInserts(insert: StagedInsert) {
  const t = (table: keyof DB) => sql.table(table);
  return sql`
    ins as (
      insert into ${t('data_points')} (id, org_id, metric_id, period_start, period_end, coord_key, coordinates,
        value, notes, status, data_source, task, created_at, updated_at, created_by, updated_by, deleted_at)
      select id, org_id, metric_id, period_start, period_end, coord_key, coordinates,
        value, notes, status, data_source, task, created_at, updated_at, created_by, updated_by, null
      from page where first order by ord
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
    )`;
}

/**
 * The claim of `rows` (one per identity, in identity order, each a new point's row) as a
 * drained page makes it, from parameters instead of the table: for a batch kept in memory
 * (store/point-staging.ts). Built now, run later: its arrays are made while the statement
 * before it runs. The run gives the positions (from 0) of the rows not inserted.
 */
export function freshClaim(db: Kysely<DB>, rows: DB['data_points'][], insert: StagedInsert) {
  const statement = sql<{ ord: string }>`
    with page as (
      select p.*, true as first from (${unnestedRows([...IDENTITY, ...FRESH], COLUMN_KINDS, rows, true)}) p
    ),
    ${freshInserts(insert)}
    select page.ord from page where not exists (select 1 from ins where ins.id = page.id) order by ord`;
  return async (): Promise<number[]> => (await statement.execute(db)).rows.map((r) => Number(r.ord) - 1);
}
