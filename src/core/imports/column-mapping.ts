import { type FieldIssue, Invalid } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { containsNul, NUL_MESSAGE } from '../nul-text.ts';
import type { PointInput } from '../points/point-input.ts';
import { parseIsoDate } from './iso-date.ts';

// How the rows of a native import file become data points: which column (CSV header name
// or 0-based index) or key (NDJSON / JSON object) holds each field. Without a mapping, each
// field is read from the column of its own name, and coordinates from `coordinates.<dim>`
// columns (CSV) or a `coordinates` object (JSON).

export const IMPORT_FORMATS = ['csv', 'ndjson', 'json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export type ColumnRef = string | number;

export interface ColumnMapping {
  metric_id?: ColumnRef;
  metric_external_id?: ColumnRef;
  /** A one-day period; or period_start (+ period_end, default the start). */
  date?: ColumnRef;
  period_start?: ColumnRef;
  period_end?: ColumnRef;
  value?: ColumnRef;
  notes?: ColumnRef;
  status?: ColumnRef;
  /** Dimension id or name → the column holding its member. */
  coordinates?: Record<string, ColumnRef>;
}

const FIELDS = [
  'metric_id',
  'metric_external_id',
  'date',
  'period_start',
  'period_end',
  'value',
  'notes',
  'status',
] as const;
type Field = (typeof FIELDS)[number];

/** Structural rules of a mapping, checked when the file is accepted (before it is read). */
export function checkMapping(mapping: ColumnMapping, format: ImportFormat, header: boolean): void {
  const issues: FieldIssue[] = [];
  const at = (field: string, message: string) => issues.push({ field: `mapping.${field}`, message });
  if ((mapping.metric_id === undefined) === (mapping.metric_external_id === undefined)) {
    at('metric_id', 'map exactly one of metric_id and metric_external_id');
  }
  if (mapping.date === undefined && mapping.period_start === undefined) {
    at('date', 'map date, or period_start (and optionally period_end)');
  }
  if (
    mapping.date !== undefined &&
    (mapping.period_start !== undefined || mapping.period_end !== undefined)
  ) {
    at('date', 'map either date or period_start/period_end, not both');
  }
  if (mapping.period_end !== undefined && mapping.period_start === undefined) {
    at('period_end', 'period_end needs period_start');
  }
  const refs: [string, ColumnRef | undefined][] = [
    ...FIELDS.map((f) => [f, mapping[f]] as [string, ColumnRef | undefined]),
    ...Object.entries(mapping.coordinates ?? {}).map(
      ([d, r]) => [`coordinates.${d}`, r] as [string, ColumnRef],
    ),
  ];
  for (const [field, ref] of refs) {
    if (typeof ref === 'number' && format !== 'csv')
      at(field, 'a column index is for CSV files; name the key');
    if (typeof ref === 'string' && format === 'csv' && !header) {
      at(field, 'a CSV file without a header row is mapped by 0-based column index');
    }
  }
  if (issues.length) throw new Invalid(issues);
}

/** The mapping a file gets without one: every field from the column of its own name. */
export function defaultMapping(names: readonly string[]): ColumnMapping {
  const has = (n: string) => names.includes(n);
  const mapping: ColumnMapping = {};
  for (const f of FIELDS) if (has(f)) mapping[f] = f;
  if (!has('metric_id') && has('external_id') && !has('metric_external_id'))
    mapping.metric_external_id = 'external_id';
  if (mapping.metric_id !== undefined && mapping.metric_external_id !== undefined)
    delete mapping.metric_external_id;
  if (mapping.date !== undefined && mapping.period_start !== undefined) delete mapping.date;
  const coordinates = names.filter((n) => n.startsWith('coordinates.') && n.length > 12);
  if (coordinates.length) mapping.coordinates = Object.fromEntries(coordinates.map((n) => [n.slice(12), n]));
  return mapping;
}

/** A row as the write path takes it, once its metric reference is resolved to an id. */
export interface MappedRow {
  metricRef: string;
  /** `metricId` is '' until the caller sets it (by id: the reference itself). */
  input: PointInput;
}

type Cell = (row: unknown) => unknown;

export interface CompiledMapping {
  byExternalId: boolean;
  /** Issue field key → the column as the file names it, for the write path's issues. */
  columns: Record<string, string>;
  read(row: unknown, line: number, path: string, issues: FieldIssue[]): MappedRow | null;
}

const cellText = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function problem(
  issues: FieldIssue[],
  columns: Record<string, string>,
  path: string,
  line: number,
  key: string,
  message: string,
): void {
  const column = columns[key];
  issues.push({ field: `${path}.${key}`, line, message, ...(column ? { column } : {}) });
}

/** Where a row's problems go, and the columns that name them. */
interface RowSite {
  path: string;
  line: number;
  issues: FieldIssue[];
  columns: Record<string, string>;
}

const fail = (at: RowSite, key: string, message: string) =>
  problem(at.issues, at.columns, at.path, at.line, key, message);

/** The cells the mapping reads; throws Invalid when a mapped CSV column is not in the header. */
function compileCells(mapping: ColumnMapping, csv: boolean, header: readonly string[] | null) {
  const missing: FieldIssue[] = [];
  const columns: Record<string, string> = {};
  const cell = (field: string, ref: ColumnRef): Cell => {
    columns[field] = String(ref);
    if (!csv) return (row) => (row as Record<string, unknown>)[ref];
    const index = typeof ref === 'number' ? ref : (header?.indexOf(ref) ?? -1);
    if (index < 0) {
      missing.push({
        field: `mapping.${field}`,
        line: 1,
        message: `column "${ref}" is not in the header row`,
      });
    }
    return (row) => (row as string[])[index];
  };
  const get: Partial<Record<Field, Cell>> = {};
  for (const f of FIELDS) {
    const ref = mapping[f];
    if (ref !== undefined) get[f] = cell(f === 'metric_external_id' ? 'metric_id' : f, ref);
  }
  if (mapping.date !== undefined) columns.period_start = columns.period_end = columns.date;
  const coordinateCells = Object.entries(mapping.coordinates ?? {}).map(
    ([dim, ref]) => [dim, cell(`coordinates.${dim}`, ref)] as const,
  );
  if (missing.length) throw new Invalid(missing);
  return { get, columns, coordinateCells };
}

type DateReader = (value: unknown, key: string, at: RowSite) => string | undefined;

/** A date cell reader; undefined (with an issue) when missing or not a date. */
function dateReader(): DateReader {
  // Files repeat their dates row after row: each distinct text is parsed once.
  const dates = new Map<string, string | null>();
  const isoDate = (text: string): string | null => {
    let d = dates.get(text);
    if (d === undefined) {
      d = parseIsoDate(text);
      if (dates.size >= 4096) dates.clear();
      dates.set(text, d);
    }
    return d;
  };
  return (value, key, at) => {
    const text = cellText(value)?.trim();
    if (!text) {
      fail(at, key, 'required: a date as YYYY-MM-DD');
      return undefined;
    }
    const parsed = isoDate(text);
    if (!parsed) fail(at, key, `"${text}" is not an ISO-8601 date`);
    return parsed ?? undefined;
  };
}

/** The row's period: one date for both ends, or start and (optional) end. */
function readPeriod(get: Partial<Record<Field, Cell>>, row: unknown, readDate: DateReader, at: RowSite) {
  if (get.date) {
    const date = readDate(get.date(row), 'period_start', at);
    return { periodStart: date, periodEnd: date };
  }
  if (!get.period_start) return { periodStart: undefined, periodEnd: undefined };
  const periodStart = readDate(get.period_start(row), 'period_start', at);
  const end = get.period_end?.(row);
  const periodEnd = cellText(end)?.trim() ? readDate(end, 'period_end', at) : periodStart;
  return { periodStart, periodEnd };
}

/** A text field: undefined keeps the point's, '' clears it; anything but a string is a problem. */
function readText(v: unknown, key: 'notes' | 'status', input: PointInput, at: RowSite): void {
  if (v !== undefined && v !== null && typeof v !== 'string') fail(at, key, 'must be a string');
  else if (v !== undefined) input[key] = v === '' ? null : v;
}

type CoordinateCells = ReadonlyArray<readonly [string, Cell]>;

/** Mapped coordinate cells; or, for a JSON row without a mapping for them, its own object. */
function readCoordinates(cells: CoordinateCells, own: boolean, row: unknown, input: PointInput, at: RowSite) {
  if (cells.length) {
    const coordinates: Record<string, string> = {};
    for (const [dim, c] of cells) {
      const v = c(row);
      if (v === undefined || v === null || v === '') continue;
      coordinates[dim] = typeof v === 'number' ? String(v) : (v as string);
    }
    input.coordinates = coordinates;
  } else if (own) {
    const value = (row as Record<string, unknown>).coordinates;
    if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
      fail(at, 'coordinates', 'must be an object of dimension → member');
    } else input.coordinates = (value as Record<string, unknown> | null | undefined) ?? null;
  }
}

/** A row's shape problem (not a row of this format, or a NUL in it); null when none. */
function shapeProblem(row: unknown, csv: boolean): string | null {
  if (typeof row !== 'object' || row === null || (csv ? !Array.isArray(row) : Array.isArray(row))) {
    return csv ? 'not a row' : 'a row must be a JSON object';
  }
  return containsNul(row) ? `the row ${NUL_MESSAGE}` : null;
}

/**
 * Compiles a mapping for one file. CSV rows are arrays read through the header (names) or
 * by index; JSON rows are objects read by key. Throws Invalid when a mapped CSV column is
 * not in the header (line 1).
 */
export function compileMapping(
  mapping: ColumnMapping,
  format: ImportFormat,
  header: readonly string[] | null,
): CompiledMapping {
  const csv = format === 'csv';
  const { get, columns, coordinateCells } = compileCells(mapping, csv, header);
  // A JSON row without a coordinates mapping may carry a `coordinates` object itself.
  const ownCoordinates = !csv && mapping.coordinates === undefined;
  const byExternalId = mapping.metric_external_id !== undefined;
  const metricCell = (byExternalId ? get.metric_external_id : get.metric_id) as Cell;
  const readDate = dateReader();

  const read = (row: unknown, line: number, path: string, issues: FieldIssue[]): MappedRow | null => {
    const shape = shapeProblem(row, csv);
    if (shape) {
      issues.push({ field: path, line, message: shape });
      return null;
    }
    const at: RowSite = { path, line, issues, columns };
    const before = issues.length;
    const rawMetric = metricCell(row);
    const metricRef = typeof rawMetric === 'string' ? rawMetric.trim() : '';
    if (metricRef === '') fail(at, 'metric_id', 'required');
    else if (!byExternalId && !isUuid(metricRef)) fail(at, 'metric_id', `"${metricRef}" is not a metric id`);

    const input: PointInput = { metricId: '', ...readPeriod(get, row, readDate, at), path, line };
    if (get.value) {
      const v = get.value(row);
      // An empty CSV cell is "no value"; JSON says null itself (or leaves the key out to keep).
      input.value = csv ? (v === '' || v === undefined ? null : (v as string).trim()) : v;
    }
    if (get.notes) readText(get.notes(row), 'notes', input, at);
    if (get.status) readText(get.status(row), 'status', input, at);
    readCoordinates(coordinateCells, ownCoordinates, row, input, at);
    return issues.length > before ? null : { metricRef, input };
  };
  return { byExternalId, columns, read };
}
