import { type Kysely, sql } from 'kysely';
import { isUuid } from '../core/ids.ts';
import type { Store } from './database.ts';
import type { DB } from './schema.ts';
import { prepared, runEach } from './sqlite-statements.ts';

export type PointRow = DB['data_points'];
export type RevisionRow = Omit<DB['point_revisions'], 'id'>;

const POINT_COLUMNS = [
  'id',
  'org_id',
  'metric_id',
  'period_start',
  'period_end',
  'coord_key',
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
  'deleted_at',
] as const satisfies readonly (keyof PointRow)[];

const REVISION_COLUMNS = [
  'org_id',
  'point_id',
  'metric_id',
  'op',
  'old_value',
  'new_value',
  'actor',
  'request_id',
  'job_id',
  'changed_at',
] as const satisfies readonly (keyof RevisionRow)[];

// Columns an upsert overwrites; id, org_id, created_* and the identity stay as first written.
const UPDATABLE = [
  'value',
  'notes',
  'status',
  'data_source',
  'task',
  'updated_at',
  'updated_by',
  'deleted_at',
] as const;

export interface IdentityKey {
  period_start: string;
  period_end: string;
  coord_key: string;
}

/** Existing points of one metric with the given identities (deleted ones included). */
export async function findByIdentity(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  keys: IdentityKey[],
): Promise<PointRow[]> {
  const out: PointRow[] = [];
  if (store.caps.syncDriver) {
    // One cached statement probing the identity index per key: preparing a fresh
    // thousand-tuple IN list for every batch cost more than the probes themselves.
    const probe = prepared(store, PROBE_SQL);
    for (const k of keys) {
      const row = probe.get(orgId, metricId, k.period_start, k.period_end, k.coord_key) as
        | PointRow
        | undefined;
      if (row) out.push(row);
    }
    return out;
  }
  // PostgreSQL: the keys travel as three arrays and are joined through unnest, so the
  // planner probes the identity index once per key (a long row-value IN list was planned
  // as a scan of the metric's points, slower as the table grew).
  const result = await sql<PointRow>`
    select p.* from unnest(
      ${keys.map((k) => k.period_start)}::date[],
      ${keys.map((k) => k.period_end)}::date[],
      ${keys.map((k) => k.coord_key)}::text[]
    ) as k(period_start, period_end, coord_key)
    join data_points p on p.metric_id = ${metricId} and p.period_start = k.period_start
      and p.period_end = k.period_end and p.coord_key = k.coord_key
    where p.org_id = ${orgId}`.execute(db);
  out.push(...result.rows);
  return out;
}

export function findPointsByIds(db: Kysely<DB>, orgId: string, ids: string[]): Promise<PointRow[]> {
  // A non-uuid cannot name a point (and PostgreSQL would reject it as a uuid value).
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('data_points')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', 'in', valid)
    .execute();
}

// better-sqlite3 statements are compiled once per database handle and reused.
const UPSERT_TAIL = `on conflict (metric_id, period_start, period_end, coord_key) do update set ${UPDATABLE.map(
  (c) => `${c} = excluded.${c}`,
).join(', ')}`;
// Points and revisions go 50 rows a statement (one statement call per row cost more than the row).
const ROWS_PER_STATEMENT = 50;
const PROBE_SQL =
  'select * from data_points where org_id = ? and metric_id = ? and period_start = ? and period_end = ? and coord_key = ?';

/**
 * Writes full point rows (new or changed) and their revisions. Must run inside the
 * caller's write transaction. SQLite: one cached prepared statement per row (the fastest
 * path there); PostgreSQL: multi-row statements sized to the parameter limit.
 */
export async function upsertPointsWithRevisions(
  store: Store,
  trx: Kysely<DB>,
  rows: PointRow[],
  revisions: RevisionRow[],
): Promise<void> {
  if (store.caps.syncDriver) {
    runEach(store, 'data_points', POINT_COLUMNS, rows, UPSERT_TAIL, ROWS_PER_STATEMENT);
    runEach(store, 'point_revisions', REVISION_COLUMNS, revisions, '', ROWS_PER_STATEMENT);
    return;
  }
  // PostgreSQL: one array per column, unnested into rows. A statement with a parameter per
  // value (17,000 for 1,000 points) spent longer being parsed and planned than written.
  if (rows.length) {
    await sql`
      insert into data_points (${sql.raw(POINT_COLUMNS.join(', '))})
      select * from unnest(${sql.join(POINT_COLUMNS.map((c) => sql`${rows.map((r) => r[c])}::${sql.raw(PG_TYPES[c])}[]`))})
      on conflict (metric_id, period_start, period_end, coord_key) do update set
      ${sql.raw(UPDATABLE.map((c) => `${c} = excluded.${c}`).join(', '))}`.execute(trx);
  }
  if (revisions.length) {
    await sql`
      insert into point_revisions (${sql.raw(REVISION_COLUMNS.join(', '))})
      select * from unnest(${sql.join(REVISION_COLUMNS.map((c) => sql`${revisions.map((r) => r[c])}::${sql.raw(PG_TYPES[c])}[]`))})`.execute(
      trx,
    );
  }
}

// Column types for the unnest arrays (PostgreSQL only).
const PG_TYPES: Record<(typeof POINT_COLUMNS)[number] | (typeof REVISION_COLUMNS)[number], string> = {
  id: 'uuid',
  org_id: 'uuid',
  metric_id: 'uuid',
  point_id: 'uuid',
  period_start: 'date',
  period_end: 'date',
  coord_key: 'text',
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
  deleted_at: 'timestamptz',
  op: 'text',
  old_value: 'text',
  new_value: 'text',
  actor: 'text',
  request_id: 'text',
  job_id: 'text',
  changed_at: 'timestamptz',
};

export interface PointFilter {
  from?: string;
  to?: string;
  /** dimension id → member; a point matches when its coordinates have every pair. */
  coordinates?: Record<string, string>;
  after?: string;
  limit: number;
}

function coordinateMatch(store: Store, key: string, member: string) {
  // JSON text on both engines; the engines differ only in how a key is read out of it.
  return store.caps.engine === 'postgres'
    ? sql<boolean>`(coordinates::jsonb ->> ${key}) = ${member}`
    : sql<boolean>`json_extract(coordinates, ${`$."${key.replace(/"/g, '')}"`}) = ${member}`;
}

/** Current (not deleted) points of a metric, in id order (the cursor's order), for paging. */
export function listPoints(
  store: Store,
  orgId: string,
  metricId: string,
  f: PointFilter,
): Promise<PointRow[]> {
  let q = store.db
    .selectFrom('data_points')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('metric_id', '=', metricId)
    .where('deleted_at', 'is', null);
  if (f.from) q = q.where('period_start', '>=', f.from);
  if (f.to) q = q.where('period_start', '<=', f.to);
  for (const [k, v] of Object.entries(f.coordinates ?? {})) q = q.where(coordinateMatch(store, k, v));
  if (f.after) q = q.where('id', '>', f.after);
  return q.orderBy('id').limit(f.limit).execute();
}

/**
 * Points as they were at `asOf`: for each point, the value of its last revision at or
 * before that time (points whose last revision then was a delete are left out).
 */
export async function listPointsAsOf(
  store: Store,
  orgId: string,
  metricId: string,
  asOf: string,
  f: PointFilter,
): Promise<PointRow[]> {
  // For each point of the metric, its last revision at or before `asOf`, found through
  // the (point_id, id) index: a point has few revisions, so this stays cheap however long
  // the whole revision log grows.
  let q = store.db
    .selectFrom('data_points as p')
    .innerJoin('point_revisions as r', (join) =>
      join.onRef('r.point_id', '=', 'p.id').on((eb) =>
        eb(
          'r.id',
          '=',
          eb
            .selectFrom('point_revisions as l')
            .select((e) => e.fn.max('l.id').as('id'))
            .whereRef('l.point_id', '=', 'p.id')
            .where('l.org_id', '=', orgId)
            .where('l.changed_at', '<=', asOf),
        ),
      ),
    )
    .selectAll('p')
    .select(['r.new_value as as_of_value', 'r.changed_at as as_of_changed_at'])
    .where('p.org_id', '=', orgId)
    .where('p.metric_id', '=', metricId)
    .where('r.op', '!=', 'delete');
  if (f.from) q = q.where('p.period_start', '>=', f.from);
  if (f.to) q = q.where('p.period_start', '<=', f.to);
  for (const [k, v] of Object.entries(f.coordinates ?? {})) q = q.where(coordinateMatch(store, k, v));
  if (f.after) q = q.where('p.id', '>', f.after);
  const rows = await q.orderBy('p.id').limit(f.limit).execute();
  return rows.map(({ as_of_value, as_of_changed_at, ...p }) => ({
    ...p,
    value: as_of_value,
    updated_at: as_of_changed_at,
    deleted_at: null,
  }));
}

export function listRevisions(db: Kysely<DB>, orgId: string, pointId: string) {
  return db
    .selectFrom('point_revisions')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('point_id', '=', pointId)
    .orderBy('id')
    .execute();
}

export interface PointSetFilter {
  metricIds: string[];
  from?: string;
  to?: string;
  excludeBlank?: boolean;
}

function pointSet(db: Kysely<DB>, orgId: string, f: PointSetFilter) {
  let q = db
    .selectFrom('data_points')
    .where('org_id', '=', orgId)
    .where('metric_id', 'in', f.metricIds)
    .where('deleted_at', 'is', null);
  if (f.from) q = q.where('period_start', '>=', f.from);
  if (f.to) q = q.where('period_start', '<=', f.to);
  if (f.excludeBlank) q = q.where('value', 'is not', null);
  return q;
}

/** Page-numbered listing across metrics (Visible's GET /data_points), by metric then date. */
export function listPointsOffset(
  db: Kysely<DB>,
  orgId: string,
  f: PointSetFilter,
  offset: number,
  limit: number,
) {
  return pointSet(db, orgId, f)
    .selectAll()
    .orderBy('metric_id')
    .orderBy('period_start')
    .orderBy('id')
    .offset(offset)
    .limit(limit)
    .execute();
}

export async function countPoints(db: Kysely<DB>, orgId: string, f: PointSetFilter): Promise<number> {
  const row = await pointSet(db, orgId, f)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
