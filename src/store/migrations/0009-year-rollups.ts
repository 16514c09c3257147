import type { Kysely, Migration } from 'kysely';

// Rollup rows per coordinates key and year (level coord_year, src/core/rollups/year-rollups.ts)
// need no new table: they are point_rollups rows. Existing metrics have none yet, so every
// month that has per-coordinates rows is marked: the background refresher (or the first
// read that needs a month) recomputes it, and its year with it.

interface Tables {
  point_rollups: { metric_id: string; org_id: string; level: string; bucket: string };
  rollup_marks: { metric_id: string; org_id: string; month: string; version: string; marked_at: string };
}

export function yearRollups(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const t = db as Kysely<Tables>;
      const months = await t
        .selectFrom('point_rollups')
        .select(['metric_id', 'org_id', 'bucket'])
        .where('level', '=', 'coord_month')
        .distinct()
        .execute();
      const rows = months.map((m) => ({
        metric_id: m.metric_id,
        org_id: m.org_id,
        month: String(m.bucket).slice(0, 10),
        version: 'migration-0009',
        marked_at: new Date(0).toISOString(),
      }));
      for (let i = 0; i < rows.length; i += 500) {
        // A month already marked is recomputed anyway.
        await t
          .insertInto('rollup_marks')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.columns(['metric_id', 'month']).doNothing())
          .execute();
      }
    },
  };
}
