import { type Kysely, type Migration, sql } from 'kysely';
import type { ColumnTypes } from '../engine/types.ts';

// Length: a migration's up() is one list of DDL statements, read top to bottom.

// Rollups of data points (see src/core/rollups): aggregates by day and month, in all and per
// coordinates,
// recomputed per (metric, month) from a mark every point write leaves in its transaction.
// Existing points get a mark for every month they start in, so the first read (or the
// background refresher) computes their rollups.

export function rollups(types: ColumnTypes): Migration {
  const id = types.idType;
  const date = types.dateType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('point_rollups')
        .addColumn('metric_id', id, (c) => c.notNull().references('metrics.id').onDelete('cascade'))
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('bucket', date, (c) => c.notNull())
        .addColumn('coord_key', 'text', (c) => c.notNull())
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('sum', 'text')
        .addColumn('min', 'text')
        .addColumn('max', 'text')
        .addColumn('first_key', 'text', (c) => c.notNull())
        .addColumn('first_value', 'text', (c) => c.notNull())
        .addColumn('last_key', 'text', (c) => c.notNull())
        .addColumn('last_value', 'text', (c) => c.notNull())
        // Reads take one level of one metric, one coordinates key, a range of buckets.
        .addPrimaryKeyConstraint('point_rollups_pk', ['metric_id', 'level', 'coord_key', 'bucket'])
        .$call((t) => (types.clusteredTableSuffix ? t.modifyEnd(sql.raw(types.clusteredTableSuffix)) : t))
        .execute();
      // A refresh replaces every row of one month, whatever its level and coordinates.
      await db.schema
        .createIndex('point_rollups_bucket')
        .on('point_rollups')
        .columns(['metric_id', 'bucket'])
        .execute();
      // The coordinates a metric's rollups have rows for: a filter or a breakdown resolves
      // to keys here (a few rows), then reads the rollups of those keys by index.
      await db.schema
        .createTable('rollup_coordinates')
        .addColumn('metric_id', id, (c) => c.notNull().references('metrics.id').onDelete('cascade'))
        .addColumn('coord_key', 'text', (c) => c.notNull())
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('coordinates', 'text')
        .addPrimaryKeyConstraint('rollup_coordinates_pk', ['metric_id', 'coord_key'])
        .execute();
      await db.schema
        .createTable('rollup_marks')
        .addColumn('metric_id', id, (c) => c.notNull().references('metrics.id').onDelete('cascade'))
        .addColumn('month', date, (c) => c.notNull())
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('marked_at', types.timestampType, (c) => c.notNull())
        .addPrimaryKeyConstraint('rollup_marks_pk', ['metric_id', 'month'])
        .execute();
      // A metric's last change of a point and who made it (KPI cards show it), kept by the
      // refresh from the points it reads, so it costs the write path nothing.
      await db.schema
        .createTable('metric_activity')
        .addColumn('metric_id', id, (c) => c.primaryKey().references('metrics.id').onDelete('cascade'))
        .addColumn('org_id', id, (c) => c.notNull())
        .addColumn('last_write_at', types.timestampType, (c) => c.notNull())
        .addColumn('last_write_by', 'text')
        .execute();
      await db.schema.createIndex('rollup_marks_marked_at').on('rollup_marks').column('marked_at').execute();
      await markExistingMonths(db as Kysely<MarkTables>);
    },
  };
}

interface MarkTables {
  data_points: { metric_id: string; org_id: string; period_start: string };
  rollup_marks: { metric_id: string; org_id: string; month: string; version: string; marked_at: string };
}

/** A mark for every (metric, month) existing points start in, written in pages. */
async function markExistingMonths(db: Kysely<MarkTables>): Promise<void> {
  // Distinct start dates, not months: month arithmetic differs between the engines, dates
  // are text on both (PostgreSQL's come back as 'YYYY-MM-DD').
  const starts = await db
    .selectFrom('data_points')
    .select(['metric_id', 'org_id', 'period_start'])
    .distinct()
    .execute();
  const marks = new Map<string, { metric_id: string; org_id: string; month: string }>();
  for (const s of starts) {
    const month = `${String(s.period_start).slice(0, 7)}-01`;
    marks.set(`${s.metric_id}/${month}`, { metric_id: s.metric_id, org_id: s.org_id, month });
  }
  const rows = [...marks.values()].map((m) => ({
    ...m,
    version: 'migration',
    marked_at: new Date(0).toISOString(),
  }));
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('rollup_marks')
      .values(rows.slice(i, i + 500))
      .execute();
  }
}
