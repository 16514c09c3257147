import { sql } from 'kysely';
import type { IdentityKey, KeysetPage, PointFilter, PointKeysetFilter } from '../core/points/point-record.ts';
import type { Store } from './database.ts';
import type { PointRow } from './point-columns.ts';

// Paged reads of one metric's points: as they are now, or as they were at a given time. The
// listing pages in id order by default (its cursor is the last id); an export, and a listing
// by period, page in identity order (period start, period end, coordinates), the order of the
// unique identity index, either way round, so each page is a range of that index however many
// points the metric has (ordering by id there sorts every point of the metric for every page).

function coordinateMatch(store: Store, key: string, member: string) {
  // JSON text on both engines; the engines differ only in how a key is read out of it.
  return sql<boolean>`${store.engine.jsonText('coordinates', key)} = ${member}`;
}

type Filter = Pick<PointFilter, 'from' | 'to' | 'coordinates'>;

/** A metric's points matching the filter, unordered: current ones (not deleted), or all. */
function metricPoints(store: Store, orgId: string, metricId: string, f: Filter, current = true) {
  let q = store.db
    .selectFrom('data_points')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('metric_id', '=', metricId);
  if (current) q = q.where('deleted_at', 'is', null);
  if (f.from) q = q.where('period_start', '>=', f.from);
  if (f.to) q = q.where('period_start', '<=', f.to);
  for (const [k, v] of Object.entries(f.coordinates ?? {})) q = q.where(coordinateMatch(store, k, v));
  return q;
}

/**
 * A metric's points as they were at `asOf`, unordered: for each point, the value of its last
 * revision at or before that time (points whose last revision then was a delete are left out).
 */
function pointsAsOf(store: Store, orgId: string, metricId: string, asOf: string, f: Filter) {
  // For each point of the metric, its last revision at or before `asOf`, found through
  // the (point_id, id) index: a point has few revisions, so this stays cheap however long
  // the whole revision log grows.
  let q = store.db
    .selectFrom('data_points as p')
    .innerJoin('point_revisions as r', (join) =>
      join
        .onRef('r.point_id', '=', 'p.id')
        .onRef('r.org_id', '=', 'p.org_id')
        .on((eb) =>
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
  return q;
}

type AsOfRow = PointRow & { as_of_value: string | null; as_of_changed_at: string };

/** An as_of row as a point: the value then, changed then, not deleted then. */
const asOfPoint = ({ as_of_value, as_of_changed_at, ...p }: AsOfRow): PointRow => ({
  ...p,
  value: as_of_value,
  updated_at: as_of_changed_at,
  deleted_at: null,
});

/**
 * Points after `key` in identity order (before it, descending): a row comparison, which the
 * identity index answers as a range.
 */
function afterIdentity(key: IdentityKey, descending: boolean) {
  const col = (name: string) => sql.ref(`data_points.${name}`);
  const op = sql.raw(descending ? '<' : '>');
  return sql<boolean>`(${col('period_start')}, ${col('period_end')}, ${col('coord_key')}) ${op} (${key.period_start}, ${key.period_end}, ${key.coord_key})`;
}

/** Current (not deleted) points of a metric, in id order (the cursor's order), for paging. */
export function listPoints(
  store: Store,
  orgId: string,
  metricId: string,
  f: PointFilter,
): Promise<PointRow[]> {
  let q = metricPoints(store, orgId, metricId, f);
  if (f.after) q = q.where('id', '>', f.after);
  return q.orderBy('id').limit(f.limit).execute();
}

/** Points as they were at `asOf`, in id order (the cursor's order), for paging. */
export async function listPointsAsOf(
  store: Store,
  orgId: string,
  metricId: string,
  asOf: string,
  f: PointFilter,
): Promise<PointRow[]> {
  let q = pointsAsOf(store, orgId, metricId, asOf, f);
  if (f.after) q = q.where('p.id', '>', f.after);
  const rows = await q.orderBy('p.id').limit(f.limit).execute();
  return rows.map((r) => asOfPoint(r as AsOfRow));
}

const keyOf = (p: PointRow): IdentityKey => ({
  period_start: p.period_start,
  period_end: p.period_end,
  coord_key: p.coord_key,
});

/** A page of a metric's points in identity order after `f.after` (either way): one range of the identity index. */
function identityRange(
  store: Store,
  orgId: string,
  metricId: string,
  f: PointKeysetFilter,
  current: boolean,
) {
  const dir = f.descending ? 'desc' : 'asc';
  let q = metricPoints(store, orgId, metricId, f, current);
  if (f.after) q = q.where(afterIdentity(f.after, f.descending === true));
  return q.orderBy('period_start', dir).orderBy('period_end', dir).orderBy('coord_key', dir).limit(f.limit);
}

/** Current points of a metric in identity order, after `f.after`: an export's pages. */
export async function listPointsInIdentityOrder(
  store: Store,
  orgId: string,
  metricId: string,
  f: PointKeysetFilter,
): Promise<KeysetPage> {
  const points = await identityRange(store, orgId, metricId, f, true).execute();
  return { points, next: points.length < f.limit ? null : keyOf(points[points.length - 1]) };
}

/**
 * Points as they were at `asOf` in identity order, after `f.after`: an export's pages. A page
 * of the metric's points (deleted ones too) is read from the identity index first, then each
 * point's last revision then; joined the other way round, the planners join and sort every
 * point of the metric for each page. Points that did not exist then, or were deleted, are
 * left out: a page may hold fewer than `f.limit` points and not be the last (`next` says).
 */
export async function listPointsAsOfInIdentityOrder(
  store: Store,
  orgId: string,
  metricId: string,
  asOf: string,
  f: PointKeysetFilter,
): Promise<KeysetPage> {
  // Each point's last revision then, found through the (point_id, id) index; then that
  // revision by its key. (A join on it the planners answer by reading every revision.)
  const page = identityRange(store, orgId, metricId, f, false).select((eb) =>
    eb
      .selectFrom('point_revisions as l')
      .select('l.id')
      .whereRef('l.point_id', '=', 'data_points.id')
      .where('l.org_id', '=', orgId)
      .where('l.changed_at', '<=', asOf)
      .orderBy('l.id', 'desc')
      .limit(1)
      .as('as_of_revision'),
  );
  const rows = await store.db
    .selectFrom(page.as('p'))
    .leftJoin('point_revisions as r', (join) =>
      join.onRef('r.id', '=', 'p.as_of_revision').onRef('r.org_id', '=', 'p.org_id'),
    )
    .selectAll('p')
    .select(['r.op as as_of_op', 'r.new_value as as_of_value', 'r.changed_at as as_of_changed_at'])
    .orderBy('p.period_start', f.descending ? 'desc' : 'asc')
    .orderBy('p.period_end', f.descending ? 'desc' : 'asc')
    .orderBy('p.coord_key', f.descending ? 'desc' : 'asc')
    .execute();
  const points = rows
    .filter((r) => r.as_of_op !== null && r.as_of_op !== 'delete')
    .map(({ as_of_op: _op, as_of_revision: _rev, ...r }) => asOfPoint(r as AsOfRow));
  const last = rows[rows.length - 1] as PointRow | undefined;
  return { points, next: rows.length < f.limit || !last ? null : keyOf(last) };
}
