import { type RawBuilder, sql } from 'kysely';
import type { LinkRef } from '../../core/analytics/records.ts';
import type { DB } from '../schema.ts';
import type { DeferredStatement, EngineQueries } from './queries.ts';

// Length: postgresQueries is one object literal of EngineQueries' methods (each short);
// it is long only because the interface has several members, kept together so the
// PostgreSQL forms read side by side with the interface.

// PostgreSQL's side of EngineQueries: each kind of change is one set-based statement, sized
// to the parameter limit (a few round trips per batch).

type PointRow = DB['data_points'];
type EntityRow = DB['analytics_entities'];

export function postgresQueries(maxParams: number): EngineQueries {
  return {
    async findPointsByIdentity(db, orgId, metricId, keys, opts) {
      const result = await identityProbe(orgId, metricId, keys, opts?.lock).execute(db);
      return [...result.rows];
    },

    async findEntitiesByRefs(db, orgId, refs, opts) {
      if (refs.length === 0) return [];
      return [...(await entityLookup(orgId, refs, opts.lock).execute(db)).rows];
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
      // same order. The keys travel as one array; the organization and times once each.
      const sorted = [...keys].sort();
      const claimed = await sql<{ key: string }>`
        insert into ${sql.table('analytics_dedup')} as d (org_id, key, processed_at)
        select ${orgId}::uuid, k.key, ${at}::timestamptz
        from unnest(${sorted}::text[]) with ordinality as k(key, ord) order by k.ord
        on conflict (org_id, key) do update set processed_at = excluded.processed_at
        where d.processed_at < ${cutoff}::timestamptz
        returning key`.execute(db);
      return new Set(claimed.rows.map((r) => r.key));
    },

    deleteOtherParents(orgId, links) {
      // Grouped by (child kind, parent kind) so each statement is a range of the primary key
      // (org, child kind, child id = any(…)); the children and their kept parents travel as
      // two arrays.
      return groupBy(
        links,
        (l) => `${l.child_kind}\u0000${l.parent_kind}`,
        (l) => l,
      ).map(([, group]) => {
        const children = group.map((l) => l.child_external_id);
        const parents = group.map((l) => l.parent_external_id);
        return deferred(sql`
          delete from ${sql.table('analytics_links')} l
          where l.org_id = ${orgId} and l.child_kind = ${group[0].child_kind}
            and l.parent_kind = ${group[0].parent_kind}
            and l.child_external_id = any(${children}::text[])
            and (l.child_external_id, l.parent_external_id) not in (
              select * from unnest(${children}::text[], ${parents}::text[]))`);
      });
    },

    deleteLinks(orgId, links) {
      // One primary-key probe per link: the links travel as four arrays.
      if (links.length === 0) return [];
      const column = (c: keyof LinkRef) => links.map((l) => l[c]);
      return [
        deferred(sql`
          delete from ${sql.table('analytics_links')} l
          using unnest(${column('child_kind')}::text[], ${column('child_external_id')}::text[],
            ${column('parent_kind')}::text[], ${column('parent_external_id')}::text[]) as r(ck, cid, pk, pid)
          where l.org_id = ${orgId} and l.child_kind = r.ck and l.child_external_id = r.cid
            and l.parent_kind = r.pk and l.parent_external_id = r.pid`),
      ];
    },
  };
}

/** A statement PostgreSQL runs as a part of a write's one statement. */
const deferred = (statement: RawBuilder<unknown>): DeferredStatement => ({
  sql: statement,
  run: async (db) => {
    await statement.execute(db);
  },
});

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

/**
 * The entities named by `refs`, in (kind, external id) order, by one statement whatever the
 * kinds. With `lock`, every row found is locked in that order: the row lock sits above the
 * sort, so all writers lock in one global order.
 *
 * Each ref is found by a LATERAL probe that only the unique index (org, kind, external id)
 * can serve: the first key at or after the ref's, kept if it is the ref's. Written as plain
 * equalities, the planner, without statistics (tables are not analyzed while an ingest fills
 * them), probed the paging index (org, kind, id) and filtered every entity of the kind; as a
 * join, it hash-joined over every entity of the organization. The rows are then read by id
 * (the probe's ids, fixed for the statement, so a row updated while this one waited for its
 * lock is still matched) and locked. Locking inside the probe instead measured 0.6 times as
 * fast with 16 batches queued on one entity; one query per kind had cost three round trips
 * while a busy entity's lock was held.
 */
export function entityLookup(orgId: string, refs: { kind: string; external_id: string }[], lock = false) {
  return sql<EntityRow>`
    select * from ${sql.table('analytics_entities')} d
    where d.org_id = ${orgId} and d.id = any(array(
      select p.id from unnest(
        ${refs.map((r) => r.kind)}::text[],
        ${refs.map((r) => r.external_id)}::text[]
      ) as k(kind, external_id)
      cross join lateral (
        select e.id, e.kind, e.external_id from ${sql.table('analytics_entities')} e
        where e.org_id = ${orgId} and (e.kind, e.external_id) >= (k.kind, k.external_id)
        order by e.kind, e.external_id limit 1
      ) p
      where p.kind = k.kind and p.external_id = k.external_id))
    order by d.kind, d.external_id
    ${lock ? sql`for update` : sql``}`;
}

/**
 * The keys travel as three arrays (one parameter each, whatever their number), and each
 * is looked up through the identity index by a LATERAL subquery with LIMIT 1: a plan
 * that does not depend on statistics. A plain join was planned from statistics, which an
 * ingest outruns (tables are not analyzed while they fill): without them PostgreSQL
 * hash-joined over every point of the metric (143 ms per 1,000 keys at 200k points) or
 * ran nested loops discarding millions of rows (Workiva probes of up to 10.8 s).
 */
export function identityProbe(
  orgId: string,
  metricId: string,
  keys: { period_start: string; period_end: string; coord_key: string }[],
  /** Lock each row found until the transaction ends, in the order of `keys`. */
  lock = false,
) {
  return sql<PointRow>`
    select p.* from unnest(
      ${keys.map((k) => k.period_start)}::date[],
      ${keys.map((k) => k.period_end)}::date[],
      ${keys.map((k) => k.coord_key)}::text[]
    ) as k(period_start, period_end, coord_key)
    cross join lateral (
      select * from ${sql.table('data_points')} d
      where d.metric_id = ${metricId} and d.period_start = k.period_start
        and d.period_end = k.period_end and d.coord_key = k.coord_key and d.org_id = ${orgId}
      limit 1 ${lock ? sql`for update` : sql``}
    ) p`;
}
