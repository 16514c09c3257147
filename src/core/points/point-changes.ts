import type { Actor } from '../context.ts';
import { newId } from '../ids.ts';
import type { ClearableField, Normalized } from './point-input.ts';
import type { PointRecord, RevisionRecord } from './point-record.ts';

// What a write makes of a stored point: the record after an input, whether it changed,
// and the revision that records the change.

/** A field's new value: cleared, given, or else the stored one (null when there is none). */
function pick<T>(
  clear: ClearableField[] | undefined,
  field: ClearableField,
  given: T | undefined,
  old: T | null | undefined,
): T | null {
  if (clear?.includes(field)) return null;
  return given !== undefined ? given : (old ?? null);
}

/** Whether writing `b` over `a` would change what the point holds. */
export function samePoint(a: PointRecord, b: PointRecord): boolean {
  return (
    a.value === b.value &&
    a.notes === b.notes &&
    a.status === b.status &&
    a.data_source === b.data_source &&
    a.task === b.task
  );
}

/** The record after input `n`: `live` is the current point, `prev` its record even when deleted. */
export function nextRecord(
  n: Normalized,
  live: PointRecord | undefined,
  prev: PointRecord | undefined,
  actor: Actor,
  at: string,
): PointRecord {
  const { input } = n;
  const clear = input.clear;
  // null is no data source (stored as SQL null, not the JSON text 'null').
  const dataSource =
    input.dataSource === undefined
      ? undefined
      : input.dataSource === null
        ? null
        : JSON.stringify(input.dataSource);
  return {
    id: prev?.id ?? newId(),
    org_id: actor.orgId,
    metric_id: n.metricId,
    period_start: n.start,
    period_end: n.end,
    coord_key: n.coordKey,
    coordinates: n.coordinates,
    value: pick(clear, 'value', n.value, live?.value),
    notes: pick(clear, 'notes', input.notes, live?.notes),
    status: pick(clear, 'status', input.status, live?.status),
    data_source: pick(clear, 'dataSource', dataSource, live?.data_source),
    task: pick(clear, 'task', input.task, live?.task),
    // An upsert keeps a row's created_* (a deleted point written again too): answer with those.
    created_at: prev ? prev.created_at : at,
    updated_at: at,
    created_by: prev ? prev.created_by : actor.actor,
    updated_by: actor.actor,
    deleted_at: null,
  };
}

/** The revision recording that `row` was inserted, updated (from `oldValue`) or deleted. */
export function revision(
  row: PointRecord,
  op: 'insert' | 'update' | 'delete',
  oldValue: string | null,
  actor: Actor,
  at: string,
): RevisionRecord {
  return {
    org_id: actor.orgId,
    point_id: row.id,
    metric_id: row.metric_id,
    op,
    old_value: oldValue,
    new_value: op === 'delete' ? null : row.value,
    actor: actor.actor,
    request_id: actor.requestId ?? null,
    job_id: actor.jobId ?? null,
    changed_at: at,
  };
}
