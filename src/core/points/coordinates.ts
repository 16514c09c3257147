import type { FieldIssue } from '../errors.ts';
import type { Metric } from '../metrics.ts';

export const MEMBER_MAX = 255;

export interface ResolvedCoordinates {
  /** dimension id → member, or null when the metric has no dimensions. */
  coordinates: Record<string, string> | null;
  /** Canonical identity text: the members in dimension order ('' without dimensions). */
  key: string;
}

/**
 * Checks coordinates against the metric's dimensions. Keys may be a dimension's id or its
 * name; every dimension must be given (a value sits at full coordinates) and no other key.
 */
export function resolveCoordinates(
  metric: Metric,
  given: Record<string, unknown> | null | undefined,
  path: string,
  issues: FieldIssue[],
): ResolvedCoordinates | null {
  const entries = Object.entries(given ?? {});
  if (metric.dimensions.length === 0) {
    if (entries.length) {
      issues.push({ field: path, message: 'this metric has no dimensions; coordinates must be empty' });
      return null;
    }
    return { coordinates: null, key: '' };
  }
  const byKey = new Map<string, string>();
  let ok = true;
  for (const [k, raw] of entries) {
    const dim = metric.dimensions.find((d) => d.id === k) ?? metric.dimensions.find((d) => d.name === k);
    if (!dim) {
      issues.push({ field: `${path}.${k}`, message: 'is not a dimension of this metric' });
      ok = false;
      continue;
    }
    const member = typeof raw === 'number' ? String(raw) : raw;
    if (typeof member !== 'string' || member.length === 0 || member.length > MEMBER_MAX) {
      issues.push({
        field: `${path}.${k}`,
        message: `must be a non-empty string of at most ${MEMBER_MAX} characters`,
      });
      ok = false;
      continue;
    }
    if (byKey.has(dim.id)) {
      // The same dimension named twice (by id and by name): which member is meant?
      issues.push({ field: `${path}.${k}`, message: `dimension "${dim.name}" is given twice` });
      ok = false;
      continue;
    }
    byKey.set(dim.id, member);
  }
  for (const d of metric.dimensions) {
    if (ok && !byKey.has(d.id)) {
      issues.push({ field: `${path}.${d.id}`, message: `a member of dimension "${d.name}" is required` });
      ok = false;
    }
  }
  if (!ok) return null;
  const coordinates: Record<string, string> = {};
  for (const d of metric.dimensions) coordinates[d.id] = byKey.get(d.id)!;
  return { coordinates, key: JSON.stringify(metric.dimensions.map((d) => byKey.get(d.id))) };
}
