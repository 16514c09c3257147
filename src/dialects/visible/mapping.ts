import { isCurrencyCode } from '../../core/currencies.ts';
import { Invalid } from '../../core/errors.ts';
import type { Metric, MetricInput } from '../../core/metrics.ts';
import type { StoredPoint } from '../../core/points/stored-point.ts';

// Visible's unit is one field: `number`, `percent`, or a currency code; ours is a value
// type plus a free unit.
export function metricInputFromVisible(body: {
  name: string;
  frequency?: MetricInput['frequency'];
  unit?: string;
  description?: string | null;
}): MetricInput {
  const unit = body.unit ?? 'number';
  const valueType = unit === 'number' ? 'number' : unit === 'percent' ? 'percentage' : 'currency';
  // The schema lets three capital letters through; only an ISO-4217 code is a currency. A
  // bad unit is the same 400 as one of the wrong form.
  if (valueType === 'currency' && !isCurrencyCode(unit)) {
    throw Invalid.field('unit', 'must be number, percent or an ISO-4217 currency code', true);
  }
  return {
    name: body.name,
    description: body.description ?? null,
    frequency: body.frequency ?? null,
    value_type: valueType,
    unit: valueType === 'currency' ? unit : null,
  };
}

export function toVisibleMetric(m: Metric) {
  const unit =
    m.value_type === 'percentage' ? 'percent' : m.value_type === 'currency' ? (m.unit ?? 'USD') : 'number';
  return {
    id: m.id,
    name: m.name,
    description: m.description,
    frequency: m.frequency,
    unit,
    created_at: m.created_at,
    updated_at: m.updated_at,
  };
}

export function toVisiblePoint(p: StoredPoint) {
  return { id: p.id, date: p.period_start, value: p.value, metric_id: p.metric_id };
}

/** `metric_id=a&metric_id=b` and `metric_id=a,b` both name several metrics. */
export const splitIds = (ids: string[]): string[] =>
  ids
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);

/** Visible's `meta` of a page-numbered listing. */
export const pageMeta = (page: number, size: number, total: number) => ({
  page,
  total,
  total_pages: Math.ceil(total / size),
});
