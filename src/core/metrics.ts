import type {
  DimensionRecord as DimensionRow,
  MetricChanges,
  MetricRecord as MetricRow,
} from './catalog-types.ts';
import { now } from './clock.ts';
import type { Actor } from './context.ts';
import { Conflict, Invalid, NotFound } from './errors.ts';
import { newId } from './ids.ts';
import { type Frequency, LIMITS, type ValueType } from './limits.ts';
import { decodeCursor, type Page, toPage } from './paging.ts';
import { DuplicateKey } from './ports/errors.ts';
import type { Storage } from './ports/index.ts';
import { checkPrecondition, type Precondition } from './precondition.ts';

export interface Dimension {
  id: string;
  name: string;
}

/** The typed view of a MetricRow: enums narrowed, `required` a boolean, with its dimensions. */
export interface Metric extends Omit<MetricRow, 'value_type' | 'frequency' | 'required'> {
  value_type: ValueType;
  frequency: Frequency | null;
  required: boolean;
  dimensions: Dimension[];
}

export interface MetricInput {
  name: string;
  description?: string | null;
  unit?: string | null;
  value_type?: ValueType;
  frequency?: Frequency | null;
  required?: boolean;
  sort_order?: number;
  external_id?: string | null;
  dimensions?: { id?: string; name: string }[];
}

export type MetricPatch = Partial<MetricInput>;

function toMetric(row: MetricRow, dims: DimensionRow[]): Metric {
  return {
    ...row,
    value_type: row.value_type as ValueType,
    frequency: row.frequency as Frequency | null,
    required: Boolean(row.required),
    dimensions: dims.filter((d) => d.metric_id === row.id).map((d) => ({ id: d.id, name: d.name })),
  };
}

/** Metrics with their dimensions, from records (for callers that read the records themselves). */
export function toMetrics(rows: MetricRow[], dims: DimensionRow[]): Metric[] {
  return rows.map((r) => toMetric(r, dims));
}

export async function withDimensions(storage: Storage, rows: MetricRow[]): Promise<Metric[]> {
  if (rows.length === 0) return [];
  // Callers pass one organization's metrics; its id still filters the query, as every query does.
  const dims = await storage.listDimensions(
    rows[0].org_id,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toMetric(r, dims));
}

function checkDimensionNames(dims: { name: string }[], path: string): void {
  const seen = new Set<string>();
  dims.forEach((d, i) => {
    if (seen.has(d.name))
      throw Invalid.field(`${path}[${i}].name`, 'dimension names must be unique in a metric');
    seen.add(d.name);
  });
}

/**
 * sort_order is an int4 column on PostgreSQL and must read back as a JSON integer: a value a
 * route schema let through (a dialect coerces "-Infinity" or "1e400" to a number) stops here,
 * so both engines refuse it alike and nothing stored can break a later read.
 */
function checkSortOrder(value: number | undefined, field: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || Math.abs(value) > LIMITS.sortOrderMax)
    throw Invalid.field(
      field,
      `must be a whole number between -${LIMITS.sortOrderMax} and ${LIMITS.sortOrderMax}`,
    );
}

/** `kpis[0]` + `unit` → `kpis[0].unit`; a metric that is the whole body has no prefix. */
const fieldPath = (base: string, field: string): string => (base ? `${base}.${field}` : field);

/**
 * Builds the rows of new metrics; `path` names each input in errors (e.g. `kpis[3]`), or
 * gives '' when the metric is the request body itself.
 */
export function newMetricRows(
  actor: Actor,
  datasetId: string | null,
  inputs: MetricInput[],
  path: (i: number) => string,
): { metrics: MetricRow[]; dims: DimensionRow[] } {
  const at = now();
  const metrics: MetricRow[] = [];
  const dims: DimensionRow[] = [];
  const externalIds = new Set<string>();
  inputs.forEach((input, i) => {
    const id = newId();
    if (input.external_id != null) {
      if (externalIds.has(input.external_id)) {
        throw Invalid.field(fieldPath(path(i), 'external_id'), 'external_id is used twice in this request');
      }
      externalIds.add(input.external_id);
    }
    checkDimensionNames(input.dimensions ?? [], fieldPath(path(i), 'dimensions'));
    checkSortOrder(input.sort_order, fieldPath(path(i), 'sort_order'));
    metrics.push({
      id,
      org_id: actor.orgId,
      dataset_id: datasetId,
      name: input.name,
      description: input.description ?? null,
      unit: input.unit ?? null,
      value_type: input.value_type ?? 'number',
      frequency: input.frequency ?? null,
      required: input.required ? 1 : 0,
      sort_order: input.sort_order ?? i,
      external_id: input.external_id ?? null,
      created_at: at,
      updated_at: at,
      created_by: actor.actor,
      updated_by: actor.actor,
    });
    (input.dimensions ?? []).forEach((d, position) => {
      dims.push({ id: newId(), org_id: actor.orgId, metric_id: id, name: d.name, position });
    });
  });
  return { metrics, dims };
}

async function assertExternalIdsFree(
  storage: Storage,
  orgId: string,
  ids: string[],
  exceptId?: string,
): Promise<void> {
  const taken = (await storage.findMetricsByExternalIds(orgId, ids)).filter((m) => m.id !== exceptId);
  if (taken.length)
    throw new Conflict(`external_id "${taken[0].external_id}" is already used by another metric`);
}

/** Inserts metrics (already validated by newMetricRows) inside the caller's transaction. */
export async function insertMetricRows(
  storage: Storage,
  orgId: string,
  rows: { metrics: MetricRow[]; dims: DimensionRow[] },
): Promise<void> {
  const externalIds = rows.metrics.flatMap((m) => (m.external_id ? [m.external_id] : []));
  await assertExternalIdsFree(storage, orgId, externalIds);
  await storage.insertMetrics(rows.metrics, rows.dims).catch(raceToConflict);
}

/** A concurrent request took the external_id between our check and our write. */
function raceToConflict(error: unknown): never {
  if (error instanceof DuplicateKey) throw new Conflict('external_id is already used by another metric');
  throw error;
}

async function assertDataset(storage: Storage, orgId: string, datasetId: string | null): Promise<void> {
  if (datasetId === null) return;
  if (!(await storage.datasetExists(orgId, datasetId))) throw new NotFound('dataset');
}

export async function createMetric(
  storage: Storage,
  actor: Actor,
  datasetId: string | null,
  input: MetricInput,
): Promise<Metric> {
  return storage.transaction(async (trx) => {
    await assertDataset(trx, actor.orgId, datasetId);
    const rows = newMetricRows(actor, datasetId, [input], () => '');
    if (input.sort_order === undefined) rows.metrics[0].sort_order = 0;
    await insertMetricRows(trx, actor.orgId, rows);
    return toMetric(rows.metrics[0], rows.dims);
  });
}

export async function getMetric(storage: Storage, orgId: string, id: string): Promise<Metric> {
  const row = await storage.findMetric(orgId, id);
  if (!row) throw new NotFound('metric');
  return (await withDimensions(storage, [row]))[0];
}

export async function listMetrics(
  storage: Storage,
  orgId: string,
  opts: { datasetId?: string; cursor?: string; limit: number },
): Promise<Page<Metric>> {
  const rows = await storage.listMetrics(orgId, {
    datasetIds: opts.datasetId ? [opts.datasetId] : undefined,
    after: decodeCursor(opts.cursor),
    limit: opts.limit + 1,
  });
  const page = toPage(rows, opts.limit);
  return { items: await withDimensions(storage, page.items), next_cursor: page.next_cursor };
}

export async function updateMetric(
  storage: Storage,
  actor: Actor,
  id: string,
  patch: MetricPatch,
  opts: { datasetId?: string; precondition?: Precondition<Metric> } = {},
): Promise<Metric> {
  return storage.transaction(async (trx) => {
    const row = await trx.findMetric(actor.orgId, id);
    if (!row || (opts.datasetId !== undefined && row.dataset_id !== opts.datasetId))
      throw new NotFound('metric');
    if (opts.precondition) checkPrecondition(opts.precondition, await getMetric(trx, actor.orgId, id));
    checkSortOrder(patch.sort_order, 'sort_order');
    if (patch.external_id) await assertExternalIdsFree(trx, actor.orgId, [patch.external_id], id);
    const { dimensions, required } = patch;
    // Named field by field: whatever else the object carries at run time is not a change.
    const changes: MetricChanges = {
      name: patch.name,
      description: patch.description,
      unit: patch.unit,
      value_type: patch.value_type,
      frequency: patch.frequency,
      sort_order: patch.sort_order,
      external_id: patch.external_id,
      ...(required === undefined ? {} : { required: required ? 1 : 0 }),
    };
    await trx
      .updateMetric(actor.orgId, id, changes, { updated_at: now(), updated_by: actor.actor })
      .catch(raceToConflict);
    // Rollups hold sums only for numbers, and rows per coordinates only for a metric with
    // dimensions: a new value type or new dimensions recompute them.
    if ((patch.value_type !== undefined && patch.value_type !== row.value_type) || patch.dimensions) {
      await trx.markMetricRollups(actor.orgId, id, now());
    }
    if (dimensions) {
      checkDimensionNames(dimensions, 'dimensions');
      const existing = await trx.listDimensions(actor.orgId, [id]);
      // Dimensions named by id keep their id (so stored coordinates stay valid); new names get one.
      const rows = dimensions.map((d, position) => {
        const kept = existing.find((e) => e.id === d.id);
        if (d.id && !kept) throw Invalid.field(`dimensions[${position}].id`, 'unknown dimension id');
        return { id: kept?.id ?? newId(), org_id: actor.orgId, metric_id: id, name: d.name, position };
      });
      await trx.replaceDimensions(actor.orgId, id, rows);
    }
    return getMetric(trx, actor.orgId, id);
  });
}

export async function deleteMetric(
  storage: Storage,
  actor: Actor,
  id: string,
  opts: { datasetId?: string; precondition?: Precondition<Metric> } = {},
): Promise<void> {
  await storage.transaction(async (trx) => {
    const row = await trx.findMetric(actor.orgId, id);
    if (!row || (opts.datasetId !== undefined && row.dataset_id !== opts.datasetId))
      throw new NotFound('metric');
    if (opts.precondition) checkPrecondition(opts.precondition, await getMetric(trx, actor.orgId, id));
    await trx.deleteMetric(actor.orgId, id);
  });
}

/** Page-numbered listing, for APIs that page by number (Visible). */
export async function listMetricsPage(
  storage: Storage,
  orgId: string,
  opts: { page: number; size: number },
): Promise<{ items: Metric[]; total: number }> {
  const [rows, total] = await Promise.all([
    storage.listMetrics(orgId, { limit: opts.size, offset: (opts.page - 1) * opts.size }),
    storage.countMetrics(orgId),
  ]);
  return { items: await withDimensions(storage, rows), total };
}
