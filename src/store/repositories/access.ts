import type { AccessPorts } from '../../core/ports/index.ts';
import * as keys from '../api-keys.ts';
import * as idempotency from '../idempotency.ts';
import * as organizations from '../organizations.ts';
import * as sessions from '../sessions.ts';
import type { RepositoryHandle } from './handle.ts';

// core's AccessPorts over the store's queries. The rows match core's records as they are.
export function accessRepositories(h: RepositoryHandle): AccessPorts {
  const { db } = h;
  return {
    insertOrganization: (name) => organizations.insertOrganization(db, name),
    listOrganizations: () => organizations.listOrganizations(db),
    findOrganization: (id) => organizations.findOrganization(db, id),

    insertApiKey: (row) => keys.insertApiKey(db, row),
    findKeysByLookup: (lookup) => keys.findKeysByLookup(db, lookup),
    touchApiKey: (orgId, id, at) => keys.touchApiKey(db, orgId, id, at),
    countApiKeys: () => keys.countApiKeys(db),
    listApiKeys: (orgId, opts) => keys.listApiKeysAfter(db, orgId, opts),
    findApiKey: (orgId, id) => keys.findApiKey(db, orgId, id),
    revokeApiKey: (orgId, id, at) => keys.revokeApiKey(db, id, at, orgId),

    insertSession: (row) => sessions.insertSession(db, row),
    findSession: (tokenHash) => sessions.findSession(db, tokenHash),
    touchSession: (orgId, tokenHash, at) => sessions.touchSession(db, orgId, tokenHash, at),
    deleteSession: (tokenHash) => sessions.deleteSession(db, tokenHash),
    deleteSessionsOfKey: (orgId, keyId) => sessions.deleteSessionsOfKey(db, orgId, keyId),
    deleteEndedSessions: (at, idleBefore) => sessions.deleteEndedSessions(db, at, idleBefore),

    findIdempotencyKey: (orgId, key) => idempotency.findIdempotencyKey(db, orgId, key),
    claimIdempotencyKey: (row, expiredBefore, staleBefore) =>
      idempotency.claimIdempotencyKey(db, row, expiredBefore, staleBefore),
    completeIdempotencyKey: (orgId, key, response) =>
      idempotency.completeIdempotencyKey(db, orgId, key, response),
    releaseIdempotencyKey: (orgId, key) => idempotency.releaseIdempotencyKey(db, orgId, key),
  };
}
