import type { PointPorts } from '../../core/ports/index.ts';
import {
  listPoints,
  listPointsAsOf,
  listPointsAsOfInIdentityOrder,
  listPointsInIdentityOrder,
} from '../point-listing.ts';
import { listRevisions } from '../point-revisions.ts';
import { countPoints, listPointsOffset } from '../point-sets.ts';
import { pointStaging } from '../point-staging.ts';
import { claimPoints, findByIdentity, findPointsByIds, upsertPointsWithRevisions } from '../points.ts';
import { lockKeys } from '../transactions.ts';
import type { RepositoryHandle } from './handle.ts';

// core's PointPorts over the store's queries. The listings (listPoints*) read through
// the store's main connection as they always have (they take the store for its engine).
export function pointRepositories(h: RepositoryHandle): PointPorts {
  const { store, db } = h;
  return {
    lockKeys: (keys) => lockKeys(store, db, keys),
    pointsByIds: (orgId, ids) => findPointsByIds(db, orgId, ids),
    pointsByIdentity: (orgId, metricId, keys, opts) =>
      findByIdentity(store, db, orgId, metricId, keys, opts?.lock),
    claimPoints: (rows) => claimPoints(store, db, rows),
    pointStaging: (inMemory) => pointStaging(store, db, inMemory),
    savePoints: (rows, revisions, claimed) => upsertPointsWithRevisions(store, db, rows, revisions, claimed),
    listPoints: (orgId, metricId, f) => listPoints(store, orgId, metricId, f),
    listPointsAsOf: (orgId, metricId, asOf, f) => listPointsAsOf(store, orgId, metricId, asOf, f),
    listPointsInIdentityOrder: (orgId, metricId, f) => listPointsInIdentityOrder(store, orgId, metricId, f),
    listPointsAsOfInIdentityOrder: (orgId, metricId, asOf, f) =>
      listPointsAsOfInIdentityOrder(store, orgId, metricId, asOf, f),
    listPointsOffset: (orgId, f, offset, limit) => listPointsOffset(db, orgId, f, offset, limit),
    countPoints: (orgId, f) => countPoints(db, orgId, f),
    pointRevisions: (orgId, pointId) => listRevisions(db, orgId, pointId),
  };
}
