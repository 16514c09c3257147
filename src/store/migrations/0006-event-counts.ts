import { type Kysely, type Migration, sql } from 'kysely';
import type { ColumnTypes } from '../engine/types.ts';

// Event counts per (organization, event name, UTC day), kept exact by the write path: the
// transaction that inserts events adds their number to these rows (store/analytics-events.ts),
// so GET /v1/events/counts sums at most a few thousand day rows instead of counting events.
// The events already stored are counted here, once.

export function eventCounts(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('analytics_event_counts')
        .addColumn('org_id', types.idType, (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('day', types.dateType, (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('analytics_event_counts_pk', ['org_id', 'event', 'day'])
        .execute();
      // Tables named through sql.table: on PostgreSQL they are qualified with the schema.
      await sql`insert into ${sql.table('analytics_event_counts')} (org_id, event, day, count)
        select org_id, event, day, count(*) from ${sql.table('analytics_events')} group by org_id, event, day`.execute(
        db,
      );
    },
  };
}
