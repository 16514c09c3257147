import { Conflict, NotFound } from '../errors.ts';
import type { Metric } from '../metrics.ts';
import type { Storage } from '../ports/index.ts';
import { pointMetric } from './metric-cache.ts';

// Rules for accepting an asynchronous batch of values for one metric of a dataset (Workiva's
// batchUpsertion / batchDeletion, a program being a dataset), checked before the batch is
// queued so that a batch that cannot apply is refused at once.

const ID_CHUNK = 10_000;

/** The metric, which must belong to the dataset; else NotFound. */
export async function getDatasetMetric(
  storage: Storage,
  orgId: string,
  datasetId: string,
  metricId: string,
): Promise<Metric> {
  const metric = await pointMetric(storage, orgId, metricId);
  if (metric.dataset_id !== datasetId) throw new NotFound('metric');
  return metric;
}

/** A value id that belongs to another metric is a conflict (409), refused before queuing. */
export async function checkIdsBelongToMetric(
  storage: Storage,
  orgId: string,
  metricId: string,
  ids: string[],
): Promise<void> {
  if (ids.length === 0) return;
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += ID_CHUNK) {
    for (const row of await storage.pointsByIds(orgId, unique.slice(i, i + ID_CHUNK))) {
      if (row.metric_id !== metricId) throw new Conflict(`The value ${row.id} belongs to another metric`);
    }
  }
}
