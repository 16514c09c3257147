import { sql } from 'kysely';
import type { DB } from '../schema.ts';
import type { EngineQueries } from './queries.ts';
import { rowChunks } from './row-chunks.ts';

// Length: postgresQueries is one object literal of EngineQueries' methods (each short);
// it is long only because the interface has several members, kept together so the
// PostgreSQL forms read side by side with the interface.

// PostgreSQL's side of EngineQueries: each kind of change is one set-based statement, sized
// to the parameter limit (a few round trips per batch).

type PointRow = DB['data_points'];
type EntityRow = DB['analytics_entities'];

export function postgresQueries(maxParams: number): EngineQueries {
  return {
    async findPointsByIdentity(db, orgId, metricId, keys) {
      // The keys travel as three arrays and are joined through unnest, so the planner probes
      // the identity index once per key (a long row-value IN list was planned as a scan of
      // the metric's points, slower as the table grew).
      const result = await sql<PointRow>`
    select p.* from unnest(
      ${keys.map((k) => k.period_start)}::date[],
      ${keys.map((k) => k.period_end)}::date[],
      ${keys.map((k) => k.coord_key)}::text[]
    ) as k(period_start, period_end, coord_key)
    join ${sql.table('data_points')} p on p.metric_id = ${metricId} and p.period_start = k.period_start
      and p.period_end = k.period_end and p.coord_key = k.coord_key
    where p.org_id = ${orgId}`.execute(db);
      return [...result.rows];
    },

    async findEntitiesByRefs(db, orgId, refs, opts) {
      // One query per kind: `kind = ? and external_id in (...)` is a range of the unique
      // index (in key order, a stable lock order).
      const out: EntityRow[] = [];
      for (const [kind, ids] of groupBy(
        refs,
        (r) => r.kind,
        (r) => r.external_id,
      )) {
        for (const part of rowChunks(ids, 1, maxParams)) {
          let q = db
            .selectFrom('analytics_entities')
            .selectAll()
            .where('org_id', '=', orgId)
            .where('kind', '=', kind)
            .where('external_id', 'in', part)
            .orderBy('external_id');
          if (opts.lock) q = q.forUpdate();
          out.push(...(await q.execute()));
        }
      }
      return out;
    },

    async metricIdsByExternalId(db, orgId, externalIds) {
      // Read on another pooled connection than the import's write (metric definitions are
      // not part of it).
      const found = new Map<string, string>();
      const size = Math.max(1, maxParams - 1);
      for (let i = 0; i < externalIds.length; i += size) {
        const rows = await db
          .selectFrom('metrics')
          .select(['id', 'external_id'])
          .where('org_id', '=', orgId)
          .where('external_id', 'in', externalIds.slice(i, i + size))
          .execute();
        for (const r of rows) if (r.external_id !== null) found.set(r.external_id, r.id);
      }
      return found;
    },

    async claimMessageKeys(db, orgId, keys, at, cutoff) {
      // One statement: the insert returns the keys it added, or refreshed because their last
      // use fell out of the window. Sorted, so concurrent batches take the key locks in the
      // same order.
      const fresh = new Set<string>();
      const sorted = [...keys].sort();
      for (const part of rowChunks(sorted, 3, maxParams)) {
        const rows = await db
          .insertInto('analytics_dedup')
          .values(part.map((key) => ({ org_id: orgId, key, processed_at: at })))
          .onConflict((oc) =>
            oc
              .columns(['org_id', 'key'])
              .doUpdateSet((eb) => ({ processed_at: eb.ref('excluded.processed_at') }))
              .where('analytics_dedup.processed_at', '<', cutoff),
          )
          .returning('key')
          .execute();
        for (const r of rows) fresh.add(r.key);
      }
      return fresh;
    },

    async deleteOtherParents(db, orgId, links) {
      // Grouped by (child kind, parent kind) so each statement is a range of the primary key.
      for (const [, group] of groupBy(
        links,
        (l) => `${l.child_kind}\u0000${l.parent_kind}`,
        (l) => l,
      )) {
        for (const part of rowChunks(group, 3, maxParams)) {
          await db
            .deleteFrom('analytics_links')
            .where('org_id', '=', orgId)
            .where('child_kind', '=', part[0].child_kind)
            .where('parent_kind', '=', part[0].parent_kind)
            .where(
              'child_external_id',
              'in',
              part.map((l) => l.child_external_id),
            )
            .where((eb) =>
              eb.not(
                eb(
                  eb.refTuple('child_external_id', 'parent_external_id'),
                  'in',
                  part.map((l) => eb.tuple(l.child_external_id, l.parent_external_id)),
                ),
              ),
            )
            .execute();
        }
      }
    },

    async deleteLinks(db, orgId, links) {
      // One OR branch of equalities per link.
      for (const part of rowChunks(links, 4, Math.min(maxParams, 2000))) {
        await db
          .deleteFrom('analytics_links')
          .where('org_id', '=', orgId)
          .where((eb) =>
            eb.or(
              part.map((l) =>
                eb.and([
                  eb('child_kind', '=', l.child_kind),
                  eb('child_external_id', '=', l.child_external_id),
                  eb('parent_kind', '=', l.parent_kind),
                  eb('parent_external_id', '=', l.parent_external_id),
                ]),
              ),
            ),
          )
          .execute();
      }
    },
  };
}

/** Groups values by key, keys in sorted order (a stable lock order). */
function groupBy<T, V>(items: T[], key: (t: T) => string, value: (t: T) => V): [string, V[]][] {
  const groups = new Map<string, V[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(value(item));
    else groups.set(k, [value(item)]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}
