import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';

// Points across several metrics, page-numbered (Visible's GET /data_points).

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
