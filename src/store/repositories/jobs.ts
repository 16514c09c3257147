import type { JobPorts } from '../../core/ports/index.ts';
import * as jobs from '../jobs.ts';
import type { RepositoryHandle } from './handle.ts';

// core's JobPorts over the store's queries. The rows match core's records as they are.
export function jobRepositories(h: RepositoryHandle): JobPorts {
  const { db } = h;
  return {
    findJob: (orgId, id) => jobs.findJob(db, orgId, id),
    listJobs: (orgId, filter) => jobs.listJobs(db, orgId, filter),
    findWebhook: (orgId) => jobs.findWebhook(db, orgId),
    upsertWebhook: (row) => jobs.upsertWebhook(db, row),
    deleteWebhook: (orgId) => jobs.deleteWebhook(db, orgId),
  };
}
