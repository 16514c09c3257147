import { type Kysely, sql } from 'kysely';
import type { DB } from '../schema.ts';
import type { StagedRow, StagingTable } from './types.ts';

// A batch's inputs kept until its end in a temporary table of its own transaction (dropped at
// commit or rollback; temporary tables live in the session's pg_temp schema, never in ours),
// then read back in identity order through a cursor: the batch then locks its points in the
// order every other writer does (store/points.ts claimPoints) across all its chunks.

/** Rows per INSERT: one array per column, whatever their number. */
const ADD_ROWS = 5000;

let tables = 0;

export function postgresStaging(db: Kysely<DB>): StagingTable {
  // Temporary names are per connection; numbered per process all the same, for logs.
  tables = (tables + 1) % 1_000_000;
  const name = sql.raw(`pg_temp.kpihub_staged_${tables}`);
  const cursor = sql.raw(`kpihub_staged_cursor_${tables}`);
  let created = false;
  let seq = 0;
  return {
    async add(rows: StagedRow[]) {
      if (rows.length === 0) return;
      if (!created) {
        await sql`
          create temporary table ${name} (
            metric_id uuid not null, period_start date not null, period_end date not null,
            coord_key text not null, seq integer not null, point text not null
          ) on commit drop`.execute(db);
        created = true;
      }
      for (let i = 0; i < rows.length; i += ADD_ROWS) {
        const part = rows.slice(i, i + ADD_ROWS);
        await sql`
          insert into ${name}
          select * from unnest(
            ${part.map((r) => r.metric_id)}::uuid[], ${part.map((r) => r.period_start)}::date[],
            ${part.map((r) => r.period_end)}::date[], ${part.map((r) => r.coord_key)}::text[],
            ${part.map(() => seq++)}::integer[], ${part.map((r) => r.point)}::text[])`.execute(db);
      }
    },

    async *drain(size: number) {
      if (!created) return;
      // COLLATE "C": byte order, the order JavaScript's string comparison gives the same keys
      // (claimPoints sorts each chunk that way), whatever the database's collation.
      await sql`
        declare ${cursor} no scroll cursor for
        select point from ${name}
        order by metric_id, period_start, period_end, coord_key collate "C", seq`.execute(db);
      for (;;) {
        const page = await sql<{ point: string }>`fetch forward ${sql.lit(size)} from ${cursor}`.execute(db);
        if (page.rows.length === 0) break;
        yield page.rows.map((r) => r.point);
      }
      await sql`close ${cursor}`.execute(db);
    },
  };
}
