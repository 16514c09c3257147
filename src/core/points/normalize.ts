import type { FieldIssue } from '../errors.ts';
import type { Metric } from '../metrics.ts';
import { isIsoDate } from '../periods.ts';
import { checkValue, TEXT_MAX } from '../values.ts';
import { resolveCoordinates } from './coordinates.ts';
import type { Normalized, PointInput } from './point-input.ts';
import type { PointRecord } from './point-record.ts';

// One input checked against its metric, with the identity of the point it names worked
// out: by id when a point has it, else by period + coordinates.

/** Where problems go (the writer's list, bounded). */
export type Report = (issue: FieldIssue) => void;

const SHORT_TEXT_MAX = 255;
const NO_COORDINATES = { coordinates: null, key: '' } as const;

export const identity = (metricId: string, start: string, end: string, coordKey: string) =>
  `${metricId}\u0000${start}\u0000${end}\u0000${coordKey}`;

export function reportMissingId({ path, line }: PointInput, report: Report): void {
  report({ field: `${path}.id`, message: 'no data point has this id', line, code: 'not_found' });
}

// Field names are built only when there is a problem to name: building them for every
// point of a million-row file cost more than checking the point.
function textField(
  v: string | null | undefined,
  path: string,
  name: string,
  max: number,
  issues: FieldIssue[],
  line?: number,
): void {
  if (v == null) return;
  if (typeof v !== 'string' || v.length > max)
    issues.push({ field: `${path}.${name}`, message: `must be a string of at most ${max} characters`, line });
}

/** The input as naming the point `row` (found by its id); undefined when it names none. */
function byStoredId(input: PointInput, row: PointRecord | undefined, metric: Metric, report: Report) {
  // A deleted point keeps its row, but its id no longer names a point (as for deletes).
  if (!row || row.deleted_at !== null) {
    reportMissingId(input, report);
    return undefined;
  }
  if (row.metric_id !== metric.id) {
    const field = `${input.path}.id`;
    report({
      field,
      message: 'this data point belongs to another metric',
      line: input.line,
      code: 'conflict',
    });
    return undefined;
  }
  return named(input, metric.id, row.period_start, row.period_end, row.coord_key, row.coordinates, row);
}

/** The input as naming the point at its period + coordinates; problems go to `issues`. */
function byIdentity(input: PointInput, metric: Metric, issues: FieldIssue[]): Normalized {
  const { path, line } = input;
  const start = input.periodStart ?? '';
  const end = input.periodEnd ?? start;
  if (!isIsoDate(start))
    issues.push({ field: `${path}.period_start`, message: 'must be a date as YYYY-MM-DD', line });
  else if (!isIsoDate(end))
    issues.push({ field: `${path}.period_end`, message: 'must be a date as YYYY-MM-DD', line });
  else if (end < start)
    issues.push({ field: `${path}.period_end`, message: 'must not be before period_start', line });
  const resolved =
    metric.dimensions.length === 0 && input.coordinates == null
      ? NO_COORDINATES
      : resolveCoordinates(metric, input.coordinates, `${path}.coordinates`, issues);
  const coordinates = resolved?.coordinates ? JSON.stringify(resolved.coordinates) : null;
  return named(input, metric.id, start, end, resolved?.key ?? '', coordinates, undefined);
}

function named(
  input: PointInput,
  metricId: string,
  start: string,
  end: string,
  coordKey: string,
  coordinates: string | null,
  byId: PointRecord | undefined,
): Normalized {
  const key = identity(metricId, start, end, coordKey);
  return { input, key, metricId, start, end, coordKey, coordinates, byId, value: undefined };
}

/**
 * Checks one input and works out its identity; undefined when it has issues (reported).
 * `byId` holds the stored records of the ids the chunk names.
 */
export function normalize(
  input: PointInput,
  metric: Metric | null,
  byId: Map<string, PointRecord>,
  report: Report,
): Normalized | undefined {
  const { path, line } = input;
  if (!metric) {
    report({ field: `${path}.metric_id`, message: 'unknown metric', line });
    return undefined;
  }
  const row = input.id !== undefined ? byId.get(input.id) : undefined;
  // By id when a point has it or nothing else names the point; else by period + coordinates.
  const viaId =
    input.id !== undefined && (row !== undefined || (input.periodStart === undefined && !input.periodIssues));
  if (!viaId && input.periodIssues) {
    for (const i of input.periodIssues) report(i);
    return undefined;
  }
  const issues: FieldIssue[] = [];
  const n = viaId ? byStoredId(input, row, metric, report) : byIdentity(input, metric, issues);
  if (!n) return undefined;
  if (input.value !== undefined) {
    const checked = checkValue(metric.value_type, input.value);
    if (checked.ok) n.value = checked.value;
    else issues.push({ field: `${path}.value`, message: checked.message, line });
  }
  textField(input.notes, path, 'notes', TEXT_MAX, issues, line);
  textField(input.status, path, 'status', SHORT_TEXT_MAX, issues, line);
  textField(input.task, path, 'task', SHORT_TEXT_MAX, issues, line);
  for (const i of issues) report({ ...i, line });
  if (issues.length) return undefined;
  return n;
}
