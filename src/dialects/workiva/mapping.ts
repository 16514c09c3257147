import type { Static } from '@sinclair/typebox';
import type { FieldIssue } from '../../core/errors.ts';
import { Invalid } from '../../core/errors.ts';
import { jobIssues } from '../../core/import-view.ts';
import type { JobRecord as JobRow } from '../../core/job-types.ts';
import { reportingPeriod } from '../../core/periods.ts';
import type { PointInput } from '../../core/points/point-input.ts';
import type { StoredPoint } from '../../core/points/stored-point.ts';
import type { MetricValueInputT, Operation } from './schemas.ts';

// A Workiva program is a KPI Hub dataset, a Workiva metric value a data point, and a
// Workiva operation a job.

const HEADER_NAMES: Record<string, string> = {
  'x-version': 'X-Version',
  'idempotency-key': 'Idempotency-Key',
};

/** How Workiva names a field we report: our one-day/period fields are its reportingPeriod. */
export function workivaTarget(field: string, where?: FieldIssue['in']): string {
  if (where === 'header') return HEADER_NAMES[field.toLowerCase()] ?? field;
  return field.replace(/\.period_(start|end)$/, '.reportingPeriod');
}

export const valuesPath = (programId: string, metricId: string) =>
  `/prototype/platform/programs/${programId}/metrics/${metricId}/values`;
export const operationPath = (id: string) => `/prototype/platform/operations/${id}`;

const month = (date: string) => Number(date.slice(5, 7));

export function toMetricValue(p: StoredPoint) {
  return {
    id: p.id,
    reportingPeriod: {
      year: Number(p.period_start.slice(0, 4)),
      start: month(p.period_start),
      end: month(p.period_end),
    },
    coordinates: p.coordinates ?? {},
    value: p.value,
    notes: p.notes,
    status: p.status,
    dataSource: p.data_source ?? null,
    task: p.task,
  };
}

type Period = { start: string; end: string };

/**
 * Reporting periods of a batch, computed once each: a batch repeats few of them. Problems
 * come back as issues under `path`.
 */
export class PeriodCache {
  private readonly known = new Map<string, Period>();
  get(
    p: { year: number; start: number; end: number },
    path: string,
    issues: FieldIssue[],
  ): Period | undefined {
    const key = `${p.year}/${p.start}/${p.end}`;
    let period = this.known.get(key);
    if (period) return period;
    try {
      period = reportingPeriod(p, 'reportingPeriod');
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      for (const i of e.issues) issues.push({ ...i, field: `${path}.${i.field}` });
      return undefined;
    }
    this.known.set(key, period);
    return period;
  }
}

/**
 * A Workiva value as a write-path input, with both its id and its reportingPeriod +
 * coordinates: the writer takes the id when a point has it, else the period (see
 * PointInput.id). A value with neither is refused here; a reportingPeriod that is no
 * period is handed on as the input's periodIssues (paths `data[i].reportingPeriod.*`),
 * reported only if the writer needs the period. Other problems go to `issues`.
 */
export function toPointInput(
  v: Partial<MetricValueInputT>,
  metricId: string,
  index: number,
  periods: PeriodCache,
  issues: FieldIssue[],
): PointInput | undefined {
  const path = `data[${index}]`;
  const input: PointInput = {
    metricId,
    path,
    id: v.id,
    value: v.value,
    notes: v.notes,
    status: v.status,
    dataSource: v.dataSource,
    task: v.task,
    clear: v.fieldsToClear,
  };
  if (v.reportingPeriod === undefined) {
    if (v.id !== undefined) return input;
    issues.push({ field: `${path}.reportingPeriod`, message: 'required when no id is given' });
    return undefined;
  }
  const mark = issues.length;
  const period = periods.get(v.reportingPeriod, path, issues);
  if (!period) {
    if (v.id === undefined) return undefined;
    input.periodIssues = issues.splice(mark);
    return input;
  }
  input.periodStart = period.start;
  input.periodEnd = period.end;
  input.coordinates = v.coordinates ?? null;
  return input;
}

const STATUS: Record<string, 'acknowledged' | 'started' | 'completed' | 'failed'> = {
  queued: 'acknowledged',
  running: 'started',
  completed: 'completed',
  failed: 'failed',
};

export const isFinished = (row: JobRow) => row.status === 'completed' || row.status === 'failed';

/** A job as Workiva's Operation; `baseUrl` makes resourceUrl absolute. */
export function toOperation(row: JobRow, baseUrl: string): Static<typeof Operation> {
  const meta = JSON.parse(row.meta) as {
    programId?: string;
    metricId?: string;
    actor?: { requestId?: string };
  };
  const op: Static<typeof Operation> = {
    id: row.id,
    status: STATUS[row.status] ?? 'acknowledged',
    created: { dateTime: row.created_at },
    updated: { dateTime: row.updated_at },
    originalRequest: meta.actor?.requestId ?? row.id,
  };
  if (row.status === 'completed') {
    op.resourceUrl =
      meta.programId && meta.metricId ? `${baseUrl}${valuesPath(meta.programId, meta.metricId)}` : null;
  }
  if (row.status === 'failed') {
    op.details = jobIssues(row).map((i) => ({
      code: i.code ?? 'InvalidValue',
      message: i.message,
      target: workivaTarget(i.field, i.in),
    }));
  }
  return op;
}
