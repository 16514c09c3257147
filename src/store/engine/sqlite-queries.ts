import type SQLite from 'better-sqlite3';
import type { LinkRef } from '../../core/analytics/records.ts';
import type { DB } from '../schema.ts';
import type { EngineQueries } from './queries.ts';
import { prepared } from './sqlite-statements.ts';

// Length: sqliteQueries is one object literal of EngineQueries' methods (each short),
// kept together so the SQLite forms read side by side with the interface.

// SQLite's side of EngineQueries: one cached statement per key, on the writer's own handle.
// These run while the caller's write transaction is open; that transaction holds Kysely's
// only connection, so a query through Kysely would wait for it forever: the synchronous
// driver reads on the same connection directly instead.

type PointRow = DB['data_points'];
type EntityRow = DB['analytics_entities'];

const PROBE_SQL =
  'select * from data_points where org_id = ? and metric_id = ? and period_start = ? and period_end = ? and coord_key = ?';

export function sqliteQueries(handle: SQLite.Database): EngineQueries {
  return {
    async findPointsByIdentity(_db, orgId, metricId, keys) {
      // One cached statement probing the identity index per key: preparing a fresh
      // thousand-tuple IN list for every batch cost more than the probes themselves.
      const out: PointRow[] = [];
      const probe = prepared(handle, PROBE_SQL);
      for (const k of keys) {
        const row = probe.get(orgId, metricId, k.period_start, k.period_end, k.coord_key) as
          | PointRow
          | undefined;
        if (row) out.push(row);
      }
      return out;
    },

    async findEntitiesByRefs(_db, orgId, refs) {
      const out: EntityRow[] = [];
      const one = prepared(
        handle,
        'select * from analytics_entities where org_id = ? and kind = ? and external_id = ?',
      );
      for (const r of refs) {
        const row = one.get(orgId, r.kind, r.external_id) as EntityRow | undefined;
        if (row) out.push(row);
      }
      return out;
    },

    async metricIdsByExternalId(_db, orgId, externalIds) {
      // One indexed point lookup each (metrics_external_id): microseconds, no SQL to build.
      const found = new Map<string, string>();
      const stmt = prepared(handle, 'select id from metrics where org_id = ? and external_id = ?');
      for (const externalId of externalIds) {
        const id = (stmt.get(orgId, externalId) as { id: string } | undefined)?.id;
        if (id !== undefined) found.set(externalId, id);
      }
      return found;
    },

    async claimMessageKeys(_db, orgId, keys, at, cutoff) {
      // Nearly every key is new: a plain insert that skips a taken key is the cheap common
      // case (an upsert with RETURNING measured 15-40% slower a key). A key already taken
      // gets a second statement, which refreshes it only when its last use fell out of the
      // window.
      const fresh = new Set<string>();
      const claim = prepared(
        handle,
        'insert into analytics_dedup (org_id, key, processed_at) values (?, ?, ?) on conflict (org_id, key) do nothing',
      );
      const refresh = prepared(
        handle,
        'update analytics_dedup set processed_at = ? where org_id = ? and key = ? and processed_at < ?',
      );
      for (const key of keys) {
        if (claim.run(orgId, key, at).changes > 0 || refresh.run(at, orgId, key, cutoff).changes > 0)
          fresh.add(key);
      }
      return fresh;
    },

    deleteOtherParents: (orgId, links) => [{ run: async () => deleteEachLink(handle, orgId, links, '<>') }],

    deleteLinks: (orgId, links) => [{ run: async () => deleteEachLink(handle, orgId, links, '=') }],
  };
}

/** One primary-key lookup per link, for the parent named (`=`) or any other (`<>`). */
function deleteEachLink(handle: SQLite.Database, orgId: string, links: LinkRef[], parent: '=' | '<>'): void {
  const one = prepared(
    handle,
    `delete from analytics_links where org_id = ? and child_kind = ? and child_external_id = ?
     and parent_kind = ? and parent_external_id ${parent} ?`,
  );
  for (const l of links)
    one.run(orgId, l.child_kind, l.child_external_id, l.parent_kind, l.parent_external_id);
}
