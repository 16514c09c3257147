import type { AnalyticsPorts } from '../../core/ports/index.ts';
import * as dedup from '../analytics-dedup.ts';
import * as entities from '../analytics-entities.ts';
import * as events from '../analytics-events.ts';
import * as linkQueries from '../analytics-links.ts';
import { writeRecords } from '../analytics-writes.ts';
import type { RepositoryHandle } from './handle.ts';

// core's AnalyticsPorts over the store's queries. The rows match core's records as they are.
export function analyticsRepositories(h: RepositoryHandle): AnalyticsPorts {
  const { store, db } = h;
  return {
    concurrentWriters: store.engine.concurrentWriters,

    claimMessageKeys: (orgId, keys, at, cutoff) => dedup.claimMessageKeys(store, db, orgId, keys, at, cutoff),
    pruneMessageKeys: (orgId, cutoff) => dedup.pruneMessageKeys(db, orgId, cutoff),

    insertEntityStubs: (rows) => entities.insertEntityStubs(store, db, rows),
    findEntitiesByRefs: (orgId, refs, opts) => entities.findEntitiesByRefs(store, db, orgId, refs, opts),
    writeRecords: (orgId, w) => writeRecords(store, db, orgId, w),

    listEntities: (orgId, filter) => entities.listEntities(db, orgId, filter),
    findEntity: (orgId, kind, externalId) => entities.findEntity(db, orgId, kind, externalId),
    listLinks: (orgId, ref, direction, limit) => linkQueries.listLinks(db, orgId, ref, direction, limit),
    listTraitHistory: (orgId, entityId, limit) => entities.listTraitHistory(db, orgId, entityId, limit),
    listEvents: (orgId, filter) => events.listEvents(db, orgId, filter),
    countEvents: (orgId, filter) => events.countEvents(store, db, orgId, filter),
  };
}
