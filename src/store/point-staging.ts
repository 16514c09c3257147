import type { Kysely } from 'kysely';
import type { PointInput } from '../core/points/point-input.ts';
import type { PointStaging } from '../core/ports/points.ts';
import type { Store } from './database.ts';
import type { DB } from './schema.ts';

// core's PointStaging over the engine's staging table: each input travels as JSON text (what
// a parsed file or body holds: strings, numbers, null, arrays and plain objects).

export function pointStaging(store: Store, db: Kysely<DB>): PointStaging | undefined {
  const table = store.engine.staging(db);
  if (!table) return undefined;
  return {
    add: (rows) =>
      table.add(
        rows.map((r) => ({
          metric_id: r.metricId,
          period_start: r.start,
          period_end: r.end,
          coord_key: r.coordKey,
          input: JSON.stringify(r.input),
        })),
      ),
    async *drain(size) {
      for await (const page of table.drain(size)) yield page.map((text) => JSON.parse(text) as PointInput);
    },
  };
}
