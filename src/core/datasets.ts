import type { DatasetRecord } from './catalog-types.ts';
import { now } from './clock.ts';
import type { Actor } from './context.ts';
import { NotFound } from './errors.ts';
import { newId } from './ids.ts';
import { insertMetricRows, type Metric, type MetricInput, newMetricRows, withDimensions } from './metrics.ts';
import { decodeCursor, type Page, toPage } from './paging.ts';
import type { Storage } from './ports/index.ts';
import { checkPrecondition, type Precondition } from './precondition.ts';

/** A dataset as answers show it: its stored row with its metrics. */
export interface Dataset extends DatasetRecord {
  metrics: Metric[];
}

/** What an update may change. Ids, organization and audit fields are never taken from a request. */
export interface DatasetPatch {
  name?: string;
  description?: string | null;
}

export interface DatasetInput {
  name: string;
  description?: string | null;
  metrics?: MetricInput[];
}

async function withMetrics(storage: Storage, orgId: string, rows: DatasetRecord[]): Promise<Dataset[]> {
  const metricRows = await storage.listMetrics(orgId, {
    datasetIds: rows.map((r) => r.id),
    limit: 100_000,
  });
  const metrics = await withDimensions(storage, metricRows);
  const sorted = metrics.sort((a, b) => a.sort_order - b.sort_order || a.id.localeCompare(b.id));
  return rows.map((r) => ({ ...r, metrics: sorted.filter((m) => m.dataset_id === r.id) }));
}

/** `metricsPath` names the metrics list in errors as the caller's API calls it (`kpis`, `metrics`). */
export async function createDataset(
  storage: Storage,
  actor: Actor,
  input: DatasetInput,
  metricsPath = 'metrics',
): Promise<Dataset> {
  const at = now();
  const row: DatasetRecord = {
    id: newId(),
    org_id: actor.orgId,
    name: input.name,
    description: input.description ?? null,
    created_at: at,
    updated_at: at,
    created_by: actor.actor,
    updated_by: actor.actor,
  };
  const metrics = newMetricRows(actor, row.id, input.metrics ?? [], (i) => `${metricsPath}[${i}]`);
  return storage.transaction(async (trx) => {
    await trx.insertDataset(row);
    await insertMetricRows(trx, actor.orgId, metrics);
    return (await withMetrics(trx, actor.orgId, [row]))[0];
  });
}

export async function getDataset(storage: Storage, orgId: string, id: string): Promise<Dataset> {
  const row = await storage.findDataset(orgId, id);
  if (!row) throw new NotFound('dataset');
  return (await withMetrics(storage, orgId, [row]))[0];
}

export async function listDatasets(
  storage: Storage,
  orgId: string,
  opts: { cursor?: string; limit: number },
): Promise<Page<Dataset>> {
  const rows = await storage.listDatasetsAfter(orgId, decodeCursor(opts.cursor), opts.limit + 1);
  const page = toPage(rows, opts.limit);
  return { items: await withMetrics(storage, orgId, page.items), next_cursor: page.next_cursor };
}

/** Page-numbered listing, for APIs that page by number (Dcycle). */
export async function listDatasetsPage(
  storage: Storage,
  orgId: string,
  opts: { page: number; size: number },
): Promise<{ items: Dataset[]; total: number }> {
  const [rows, total] = await Promise.all([
    storage.listDatasetsOffset(orgId, (opts.page - 1) * opts.size, opts.size),
    storage.countDatasets(orgId),
  ]);
  return { items: await withMetrics(storage, orgId, rows), total };
}

export async function updateDataset(
  storage: Storage,
  actor: Actor,
  id: string,
  patch: DatasetPatch,
  opts: { precondition?: Precondition<Dataset> } = {},
): Promise<Dataset> {
  return storage.transaction(async (trx) => {
    const row = await trx.findDataset(actor.orgId, id);
    if (!row) throw new NotFound('dataset');
    if (opts.precondition) checkPrecondition(opts.precondition, await getDataset(trx, actor.orgId, id));
    const changes = { name: patch.name, description: patch.description };
    await trx.updateDataset(actor.orgId, id, changes, { updated_at: now(), updated_by: actor.actor });
    return getDataset(trx, actor.orgId, id);
  });
}

export async function deleteDataset(
  storage: Storage,
  orgId: string,
  id: string,
  opts: { precondition?: Precondition<Dataset> } = {},
): Promise<void> {
  await storage.transaction(async (trx) => {
    if (opts.precondition) checkPrecondition(opts.precondition, await getDataset(trx, orgId, id));
    if (!(await trx.deleteDataset(orgId, id))) throw new NotFound('dataset');
  });
}
