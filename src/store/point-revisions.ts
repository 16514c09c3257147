import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';

// A point's revision log, oldest first.

export function listRevisions(db: Kysely<DB>, orgId: string, pointId: string) {
  return db
    .selectFrom('point_revisions')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('point_id', '=', pointId)
    .orderBy('id')
    .execute();
}
