import type { ImportPorts } from '../../core/ports/imports.ts';
import { metricIdsByExternalId } from '../metric-lookup.ts';
import type { RepositoryHandle } from './handle.ts';

// core's ImportPorts over the store's queries. The lookup goes through the store, not the
// handle's connection: it runs while the import's write transaction holds that connection.
export function importRepositories(h: RepositoryHandle): ImportPorts {
  return {
    metricIdsByExternalId: (orgId, externalIds) => metricIdsByExternalId(h.store, orgId, externalIds),
  };
}
