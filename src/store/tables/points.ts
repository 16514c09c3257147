import type { Generated } from 'kysely';
import type { IdempotencyRecord } from '../../core/access-types.ts';
import type { PointRecord, RevisionRecord } from '../../core/points/point-record.ts';

// The points tables as Kysely sees them (rows as the store reads and writes them);
// their columns are created by migrations/0002-points.ts. Rows core also works with are
// declared once, in core.

export interface PointTables {
  data_points: PointRecord;
  /** The id is the database's (it orders a point's history), so inserts leave it out. */
  point_revisions: RevisionRecord & { id: Generated<number> };
  idempotency_keys: IdempotencyRecord;
}
