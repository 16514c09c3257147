import type { Kysely } from 'kysely';
import { findPointsByIds } from '../store/points.ts';
import type { DB } from '../store/schema.ts';
import { Conflict, NotFound } from './errors.ts';
import { getMetric, type Metric } from './metrics.ts';
import type { Storage } from './ports/index.ts';

// Rules for accepting an asynchronous batch of values for one metric (Workiva's
// batchUpsertion / batchDeletion), checked before the batch is queued.

const ID_CHUNK = 10_000;

/** The metric, which must belong to the dataset (Workiva: the program); else NotFound. */
export async function getDatasetMetric(
  storage: Storage,
  orgId: string,
  datasetId: string,
  metricId: string,
): Promise<Metric> {
  const metric = await getMetric(storage, orgId, metricId);
  if (metric.dataset_id !== datasetId) throw new NotFound('metric');
  return metric;
}

/** The point ids among `ids` that exist in the organization, with the metric each belongs to. */
export async function pointMetrics(
  db: Kysely<DB>,
  orgId: string,
  ids: string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += ID_CHUNK) {
    for (const row of await findPointsByIds(db, orgId, unique.slice(i, i + ID_CHUNK))) {
      out.set(row.id, row.metric_id);
    }
  }
  return out;
}

/** A value id that belongs to another metric is a conflict (409), refused before queuing. */
export async function checkIdsBelongToMetric(
  db: Kysely<DB>,
  orgId: string,
  metricId: string,
  ids: string[],
): Promise<void> {
  if (ids.length === 0) return;
  for (const [id, owner] of await pointMetrics(db, orgId, ids)) {
    if (owner !== metricId) throw new Conflict(`The value ${id} belongs to another metric`);
  }
}
