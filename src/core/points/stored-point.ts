import type { PointRecord } from './point-record.ts';

export interface StoredPoint {
  id: string;
  metric_id: string;
  period_start: string;
  period_end: string;
  coordinates: Record<string, string> | null;
  value: string | null;
  notes: string | null;
  status: string | null;
  data_source: unknown;
  task: string | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  updated_by: string | null;
}

export function toStoredPoint(r: PointRecord): StoredPoint {
  return {
    id: r.id,
    metric_id: r.metric_id,
    period_start: r.period_start,
    period_end: r.period_end,
    coordinates: r.coordinates === null ? null : JSON.parse(r.coordinates),
    value: r.value,
    notes: r.notes,
    status: r.status,
    data_source: r.data_source === null ? null : JSON.parse(r.data_source),
    task: r.task,
    created_at: r.created_at,
    updated_at: r.updated_at,
    created_by: r.created_by,
    updated_by: r.updated_by,
  };
}
