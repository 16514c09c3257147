import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import { newId } from '../core/ids.ts';
import { monthEnd } from '../core/periods.ts';
import type { PointRecord } from '../core/points/point-record.ts';
import type { RollupFilter } from '../core/ports/rollups.ts';
import type {
  MetricActivity,
  RollupCoordinates,
  RollupMark,
  RollupRecord,
  RollupSlice,
  RollupValueColumn,
} from '../core/rollups/rollup-record.ts';
import type { Store } from './database.ts';
import type { BulkInsert, BulkRows } from './engine/types.ts';
import type { DB } from './schema.ts';

// Rollup rows and marks (see src/core/rollups/refresh.ts for how they stay exact).

const MARKS: BulkInsert<RollupMark> = {
  table: 'rollup_marks',
  columns: ['metric_id', 'month', 'org_id', 'version', 'marked_at'],
  // Each call's marks carry a version of their own (migrations/0011-mark-versions.ts): they
  // never meet another writer's on a row.
  conflict: { target: ['metric_id', 'month', 'version', 'org_id'] },
  columnKinds: {
    metric_id: 'uuid',
    month: 'date',
    org_id: 'uuid',
    version: 'text',
    marked_at: 'timestamptz',
  },
};

/**
 * The marks of every (metric, month) the written rows start in, with a new version, as
 * rows of rollup_marks for the engine's bulk path (a cached statement on SQLite): a write
 * inserts them with its points (points.ts), so a rollup is never read with a write unseen.
 */
export function rollupMarkRows(
  rows: { metric_id: string; org_id: string; period_start: string }[],
  markedAt: string,
): BulkRows {
  const marks = new Map<string, RollupMark>();
  const version = newId();
  for (const r of rows) {
    const month = `${r.period_start.slice(0, 7)}-01`;
    const key = `${r.metric_id}/${month}`;
    if (!marks.has(key))
      marks.set(key, { metric_id: r.metric_id, org_id: r.org_id, month, version, marked_at: markedAt });
  }
  // In key order (the index's): marks are this call's own rows, no lock order is at stake.
  const values = [...marks.values()].sort((a, b) =>
    a.metric_id === b.metric_id ? (a.month < b.month ? -1 : 1) : a.metric_id < b.metric_id ? -1 : 1,
  );
  return { spec: MARKS, rows: values };
}

/** Marks every (metric, month) the written rows start in, with a new version (rollupMarkRows). */
export async function markRollups(
  store: Store,
  db: Kysely<DB>,
  rows: { metric_id: string; org_id: string; period_start: string }[],
  markedAt: string,
): Promise<void> {
  const marks = rollupMarkRows(rows, markedAt);
  await store.engine.insertRows(db, marks.spec, marks.rows);
}

/** Marks every month a metric has rollups for (its values changed meaning, e.g. a new value type). */
export async function markMetricRollups(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  markedAt: string,
) {
  const months = await db
    .selectFrom('point_rollups')
    .select('bucket')
    .where('org_id', '=', orgId)
    .where('metric_id', '=', metricId)
    .where('level', '=', 'month')
    .execute();
  await markRollups(
    store,
    db,
    months.map((m) => ({ metric_id: metricId, org_id: orgId, period_start: m.bucket })),
    markedAt,
  );
}

export function rollupMarks(
  db: Kysely<DB>,
  orgId: string,
  metricIds: string[],
  range: { since?: string; until?: string } = {},
): Promise<RollupMark[]> {
  if (metricIds.length === 0) return Promise.resolve([]);
  let q = db
    .selectFrom('rollup_marks')
    .selectAll()
    .where('metric_id', 'in', metricIds)
    .where('org_id', '=', orgId);
  if (range.since) q = q.where('month', '>=', range.since);
  if (range.until) q = q.where('month', '<=', range.until);
  return q.orderBy('metric_id').orderBy('month').execute();
}

export function latestRollupMarks(
  db: Kysely<DB>,
  orgId: string,
  metricIds: string[],
): Promise<{ metric_id: string; month: string }[]> {
  if (metricIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('rollup_marks')
    .select((eb) => ['metric_id', eb.fn.max('month').as('month')])
    .where('metric_id', 'in', metricIds)
    .where('org_id', '=', orgId)
    .groupBy('metric_id')
    .execute() as Promise<{ metric_id: string; month: string }[]>;
}

export function quietRollupMarks(db: Kysely<DB>, quietBefore: string, limit: number): Promise<RollupMark[]> {
  return db
    .selectFrom('rollup_marks')
    .selectAll()
    .where('marked_at', '<', quietBefore)
    .orderBy('marked_at')
    .limit(limit)
    .execute();
}

export function monthPoints(
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  from: string,
  to: string,
): Promise<PointRecord[]> {
  return db
    .selectFrom('data_points')
    .selectAll()
    .where('metric_id', '=', metricId)
    .where('period_start', '>=', from)
    .where('period_start', '<=', to)
    .where('org_id', '=', orgId)
    .execute();
}

const ROLLUP_COLUMNS = [
  'metric_id',
  'org_id',
  'level',
  'bucket',
  'coord_key',
  'count',
  'sum',
  'min',
  'max',
  'first_key',
  'first_value',
  'last_key',
  'last_value',
] as const satisfies readonly (keyof RollupRecord)[];

// A month is written in thousands of rows (a row per coordinates and day): the engine's bulk
// path, as for points. Through one Kysely insert per 200 rows it took 70 ms a month.
const ROLLUPS: BulkInsert<RollupRecord> = {
  table: 'point_rollups',
  columns: ROLLUP_COLUMNS,
  conflict: {
    target: ['metric_id', 'level', 'coord_key', 'bucket', 'org_id'],
    update: ['count', 'sum', 'min', 'max', 'first_key', 'first_value', 'last_key', 'last_value'],
  },
  rowsPerStatement: 50,
  columnKinds: {
    metric_id: 'uuid',
    org_id: 'uuid',
    level: 'text',
    bucket: 'date',
    coord_key: 'text',
    count: 'integer',
    sum: 'text',
    min: 'text',
    max: 'text',
    first_key: 'text',
    first_value: 'text',
    last_key: 'text',
    last_value: 'text',
  },
};

const COORDINATES: BulkInsert<RollupCoordinates> = {
  table: 'rollup_coordinates',
  columns: ['metric_id', 'coord_key', 'org_id', 'coordinates'],
  conflict: { target: ['metric_id', 'coord_key', 'org_id'] },
  columnKinds: { metric_id: 'uuid', coord_key: 'text', org_id: 'uuid', coordinates: 'text' },
};

const ROWS_PER_SLICE = 500;
const VALUE_COLUMNS = ['sum', 'min', 'max', 'first_key', 'first_value', 'last_key', 'last_value'] as const;
const rowKey = (r: Pick<RollupRecord, 'level' | 'bucket' | 'coord_key'>) =>
  `${r.level}/${r.bucket}/${r.coord_key}`;

/**
 * Makes a month's rows these: only rows that differ are written and only rows that are gone
 * deleted, so a late correction rewrites a handful of rows, not the month's thousands.
 */
export async function replaceMonthRollups(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  months: string[],
  rows: RollupRecord[],
  coordinates: RollupCoordinates[],
): Promise<void> {
  if (months.length === 0) return;
  const sorted = [...months].sort();
  const inMonths = new Set(sorted);
  // Every level's bucket of a month lies within its days: the month row's is its first. A
  // year's row starts on January 1 too, but is not a month's (replaceYearRollups keeps it).
  const existing = await db
    .selectFrom('point_rollups')
    .select(['level', 'bucket', 'coord_key', 'count', ...VALUE_COLUMNS])
    .where('org_id', '=', orgId)
    .where('metric_id', '=', metricId)
    .where('level', '!=', 'coord_year')
    .where('bucket', '>=', sorted[0])
    .where('bucket', '<=', monthEnd(sorted[sorted.length - 1]))
    .execute();
  const before = new Map(
    existing.filter((r) => inMonths.has(`${r.bucket.slice(0, 7)}-01`)).map((r) => [rowKey(r), r]),
  );
  const changed = rows.filter((r) => {
    const old = before.get(rowKey(r));
    before.delete(rowKey(r));
    return !old || Number(old.count) !== r.count || VALUE_COLUMNS.some((c) => old[c] !== r[c]);
  });
  // What is left in `before` has no row any more (its points were deleted or moved on).
  const gone = new Map<string, string[]>();
  for (const r of before.values()) {
    const at = `${r.level}\u0000${r.coord_key}`;
    gone.set(at, [...(gone.get(at) ?? []), r.bucket]);
  }
  for (const [at, buckets] of gone) {
    const [level, coordKey] = at.split('\u0000');
    await db
      .deleteFrom('point_rollups')
      .where('org_id', '=', orgId)
      .where('metric_id', '=', metricId)
      .where('level', '=', level as RollupRecord['level'])
      .where('coord_key', '=', coordKey)
      .where('bucket', 'in', buckets)
      .execute();
  }
  // In key order: on PostgreSQL the rows then lie together on disk as reads take them (one
  // member's days of a month on one page, not spread over the month's pages).
  changed.sort((a, b) =>
    a.level !== b.level ? (a.level < b.level ? -1 : 1) : rowKey(a) < rowKey(b) ? -1 : 1,
  );
  // In slices, with a turn of the event loop between them: on SQLite each insert is
  // synchronous, and a month of thousands of rows in one go held other requests ~50 ms.
  for (let i = 0; i < changed.length; i += ROWS_PER_SLICE) {
    await store.engine.insertRows(db, ROLLUPS, changed.slice(i, i + ROWS_PER_SLICE));
    if (i + ROWS_PER_SLICE < changed.length) await nextTurn();
  }
  await store.engine.insertRows(db, COORDINATES, coordinates);
}

export async function replaceYearRollups(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  years: string[],
  rows: RollupRecord[],
): Promise<void> {
  if (years.length === 0) return;
  // A few rows per coordinates key and year: replaced whole rather than diffed.
  await db
    .deleteFrom('point_rollups')
    .where('org_id', '=', orgId)
    .where('metric_id', '=', metricId)
    .where('level', '=', 'coord_year')
    .where('bucket', 'in', years)
    .execute();
  for (let i = 0; i < rows.length; i += ROWS_PER_SLICE) {
    await store.engine.insertRows(db, ROLLUPS, rows.slice(i, i + ROWS_PER_SLICE));
  }
}

export async function clearRollupMarks(db: Kysely<DB>, marks: RollupMark[]): Promise<void> {
  if (marks.length === 0) return;
  await db
    .deleteFrom('rollup_marks')
    .where((eb) =>
      eb.or(
        marks.map((m) =>
          eb.and([
            eb('org_id', '=', m.org_id),
            eb('metric_id', '=', m.metric_id),
            eb('month', '=', m.month),
            eb('version', '=', m.version),
          ]),
        ),
      ),
    )
    .execute();
}

/** Value columns whose stored text has no space or comma (decimal text): they can be packed. */
const PACKABLE = new Set(['sum', 'min', 'max']);

/**
 * Rollup rows of a metric at one level: the all-coordinates rows, or those of `coordKeys`.
 * Rows of numbers only (count, sum, min, max) are read packed: one row per coordinates key,
 * its buckets joined into one text ("bucket count sum,bucket count sum,…"), split here. A
 * breakdown by month of 100 members reads 33,000 rows; turning each into a JavaScript object
 * cost the driver 29 ms on SQLite, the packed read and the split 13 ms (and far fewer objects
 * to collect). first and last hold any text, and are read row by row.
 */
export async function readRollups(
  store: Store,
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  f: RollupFilter,
): Promise<RollupSlice[]> {
  if (f.coordKeys?.length === 0) return [];
  const packed = f.columns.every((c) => PACKABLE.has(c));
  let q = db
    .selectFrom('point_rollups')
    .where('metric_id', '=', metricId)
    .where('level', '=', f.level)
    .where('org_id', '=', orgId);
  q = f.coordKeys ? q.where('coord_key', 'in', f.coordKeys) : q.where('coord_key', '=', '');
  if (f.from) q = q.where('bucket', '>=', f.from);
  if (f.to) q = q.where('bucket', '<=', f.to);
  if (!packed) return q.select(['bucket', 'coord_key', 'count', ...f.columns]).execute();

  const { engine } = store;
  const fields = [
    engine.dateText('bucket'),
    sql<string>`cast(${sql.ref('count')} as text)`,
    ...f.columns.map((c) => sql<string>`coalesce(${sql.ref(c)}, '')`),
  ];
  const entry = sql<string>`${sql.join(fields, sql` || ' ' || `)}`;
  const rows = await q
    .select(['coord_key', engine.stringAgg(entry, ',').as('packed')])
    .groupBy('coord_key')
    .execute();
  const out: RollupSlice[] = [];
  for (const row of rows) {
    for (const item of row.packed.split(',')) {
      const v = item.split(' ');
      const slice: Record<string, string | number | null> = {
        bucket: v[0],
        coord_key: row.coord_key,
        count: Number(v[1]),
      };
      for (let i = 0; i < f.columns.length; i++) slice[f.columns[i]] = v[i + 2] === '' ? null : v[i + 2];
      out.push(slice as RollupSlice);
    }
  }
  return out;
}

export function rollupCoordinates(
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
): Promise<RollupCoordinates[]> {
  return db
    .selectFrom('rollup_coordinates')
    .selectAll()
    .where('metric_id', '=', metricId)
    .where('org_id', '=', orgId)
    .execute();
}

export async function noteMetricActivity(db: Kysely<DB>, a: MetricActivity): Promise<void> {
  await db
    .insertInto('metric_activity')
    .values(a)
    .onConflict((oc) =>
      oc
        .columns(['metric_id', 'org_id'])
        .doUpdateSet({
          last_write_at: (eb) => eb.ref('excluded.last_write_at'),
          last_write_by: (eb) => eb.ref('excluded.last_write_by'),
        })
        .where('metric_activity.last_write_at', '<', (eb) => eb.ref('excluded.last_write_at')),
    )
    .execute();
}

export function metricActivity(
  db: Kysely<DB>,
  orgId: string,
  metricIds: string[],
): Promise<MetricActivity[]> {
  if (metricIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('metric_activity')
    .selectAll()
    .where('metric_id', 'in', metricIds)
    .where('org_id', '=', orgId)
    .execute();
}

export function latestRollups(
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  level: 'day' | 'month',
  columns: RollupValueColumn[],
  limit: number,
): Promise<RollupSlice[]> {
  return db
    .selectFrom('point_rollups')
    .select(['bucket', 'coord_key', 'count', ...columns])
    .where('metric_id', '=', metricId)
    .where('level', '=', level)
    .where('coord_key', '=', '')
    .where('org_id', '=', orgId)
    .orderBy('bucket', 'desc')
    .limit(limit)
    .execute();
}
