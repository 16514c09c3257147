import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { newId } from '../src/core/ids.ts';
import { openStore } from '../src/store/database.ts';
import { sqliteHandleOf } from '../src/store/engine/sqlite.ts';
import { migrateToLatest } from '../src/store/migrate.ts';

export interface RawPoint {
  start: string;
  end: string;
  coordKey: string;
  coordinates: string | null;
  value: string;
}

/**
 * The ceiling every write benchmark compares against: better-sqlite3 upserting the same
 * rows into the same schema with one prepared statement, time-ordered ids, 1,000 rows a
 * transaction (or `perTransaction`) — no validation, no revisions (unless asked: then one
 * revision row per point as well, the floor of any path that keeps them), no HTTP.
 * Returns points per second.
 */
export async function rawUpsert(
  dir: string,
  total: number,
  point: (n: number) => RawPoint,
  opts: { revisions?: boolean; perTransaction?: number } = {},
): Promise<number> {
  const perTransaction = opts.perTransaction ?? 1000;
  const store = openStore({ engine: 'sqlite', path: join(mkdtempSync(join(dir, 'raw-')), 'raw.db') });
  await migrateToLatest(store);
  const db = sqliteHandleOf(store)!;
  const org = newId();
  const metric = newId();
  const at = new Date().toISOString();
  db.prepare('insert into organizations (id, name, created_at) values (?, ?, ?)').run(org, 'raw', at);
  db.prepare(
    `insert into metrics (id, org_id, name, value_type, required, sort_order, created_at, updated_at)
     values (?, ?, 'raw', 'number', 0, 0, ?, ?)`,
  ).run(metric, org, at, at);
  const upsert = db.prepare(
    `insert into data_points (id, org_id, metric_id, period_start, period_end, coord_key, coordinates, value, notes,
       status, data_source, task, created_at, updated_at, created_by, updated_by, deleted_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, null, null, null, null, ?, ?, 'raw', 'raw', null)
     on conflict (metric_id, period_start, period_end, coord_key, org_id) do update set value = excluded.value,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
  );
  const revision = db.prepare(
    `insert into point_revisions (org_id, point_id, metric_id, op, old_value, new_value, actor, request_id, job_id,
       changed_at) values (?, ?, ?, 'insert', null, ?, 'raw', 'raw', null, ?)`,
  );
  const batch = db.transaction((from: number, to: number) => {
    for (let n = from; n < to; n++) {
      const p = point(n);
      const id = newId();
      upsert.run(id, org, metric, p.start, p.end, p.coordKey, p.coordinates, p.value, at, at);
      if (opts.revisions) revision.run(org, id, metric, p.value, at);
    }
  });
  const started = performance.now();
  for (let b = 0; b < total; b += perTransaction) batch(b, Math.min(total, b + perTransaction));
  const rate = total / ((performance.now() - started) / 1000);
  await store.close();
  return rate;
}
