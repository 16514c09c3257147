import type { Dataset } from '../../core/datasets.ts';
import type { Metric } from '../../core/metrics.ts';
import { DCYCLE_VALUE_TYPES } from './schemas.ts';

// A Dcycle dataset is a KPI Hub dataset, a Dcycle KPI a KPI Hub metric.

type DcycleValueType = (typeof DCYCLE_VALUE_TYPES)[number];

/** Our richer numeric types read as Dcycle's `number`. */
function dcycleValueType(valueType: string): DcycleValueType {
  return (DCYCLE_VALUE_TYPES as readonly string[]).includes(valueType)
    ? (valueType as DcycleValueType)
    : 'number';
}

export function toKpi(m: Metric) {
  return {
    id: m.id,
    dataset_id: m.dataset_id as string,
    name: m.name,
    sort_order: m.sort_order,
    created_at: m.created_at,
    description: m.description,
    unit: m.unit,
    value_type: dcycleValueType(m.value_type),
    required: m.required,
    updated_at: m.updated_at,
  };
}

export function toDcycleDataset(d: Dataset) {
  return {
    id: d.id,
    organization_id: d.org_id,
    name: d.name,
    created_at: d.created_at,
    description: d.description,
    created_by: d.created_by,
    updated_by: d.updated_by,
    updated_at: d.updated_at,
    kpis: d.metrics.map(toKpi),
  };
}
