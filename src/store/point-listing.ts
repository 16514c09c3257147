import { sql } from 'kysely';
import type { Store } from './database.ts';
import type { PointRow } from './points.ts';

// Paged reads of one metric's points: as they are now, or as they were at a given time.

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
  return sql<boolean>`${store.engine.jsonText('coordinates', key)} = ${member}`;
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
