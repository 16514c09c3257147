import type { JobPorts } from '../../core/ports/index.ts';
import * as jobs from '../jobs.ts';
import * as webhooks from '../webhooks.ts';
import type { RepositoryHandle } from './handle.ts';

// core's JobPorts over the store's queries. The rows match core's records as they are.
export function jobRepositories(h: RepositoryHandle): JobPorts {
  const { db } = h;
  return {
    findJob: (orgId, id) => jobs.findJob(db, orgId, id),
    listJobs: (orgId, filter) => jobs.listJobs(db, orgId, filter),
    findWebhook: (orgId) => webhooks.findWebhook(db, orgId),
    upsertWebhook: (row) => webhooks.upsertWebhook(db, row),
    deleteWebhook: (orgId) => webhooks.deleteWebhook(db, orgId),
  };
}
