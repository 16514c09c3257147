import type { FieldIssue } from '../../core/errors.ts';
import { decimalProblem, isEmptyRow, rowIssue } from '../../core/imports/csv-rows.ts';
import { containsNul, NUL_MESSAGE } from '../../core/nul-text.ts';
import { parseAsOfDate } from './as-of-date.ts';

// The rows of AchieveIt's two CSV files, as its documentation lays them out: columns in a
// fixed order, the last (Comment) optional, a header row optional. These are pure rules:
// one record in, one row or its issues out. Which metric an External ID names is looked
// up later, a chunk of rows at a time.

export type AchieveItFile = 'metricupdates' | 'progressupdates';

export const ACHIEVEIT_STATUSES = [
  'On Track',
  'Off Track',
  'At Risk',
  'Achieved',
  'Not Achieved',
  'Canceled',
  'Not Started',
] as const;
export type AchieveItStatus = (typeof ACHIEVEIT_STATUSES)[number];

/** A column of a file: its key in issue paths and its name as the vendor documents it. */
export interface Column {
  key: string;
  name: string;
}

export const COLUMNS = {
  externalId: { key: 'external_id', name: 'External ID' },
  status: { key: 'status', name: 'Status' },
  value: { key: 'value', name: 'Current Metric Value' },
  date: { key: 'as_of_date', name: 'As Of Date' },
  comment: { key: 'comment', name: 'Comment' },
} as const satisfies Record<string, Column>;

type ColumnId = keyof typeof COLUMNS;

/** The columns of each file, left to right; the last is optional. */
export const ACHIEVEIT_LAYOUTS: Record<AchieveItFile, readonly ColumnId[]> = {
  metricupdates: ['externalId', 'value', 'date', 'comment'],
  progressupdates: ['externalId', 'status', 'value', 'date', 'comment'],
};

export interface AchieveItRow {
  line: number;
  externalId: string;
  /** A plain decimal as written (the write path stores its canonical form: `.2` → `0.2`). */
  value: string;
  /** The As Of Date as 'YYYY-MM-DD'. */
  date: string;
  comment: string | null;
  status: AchieveItStatus | null;
}

/** The first row is a header when its first cell reads External ID (any case or spacing). */
export function isAchieveItHeader(record: readonly string[]): boolean {
  return (record[0] ?? '').replace(/\s+/g, '').toLowerCase() === 'externalid';
}

const STATUS_BY_KEY = new Map(ACHIEVEIT_STATUSES.map((s) => [s.toLowerCase(), s]));

function parseStatus(text: string): AchieveItStatus | undefined {
  return STATUS_BY_KEY.get(text.replace(/\s+/g, ' ').toLowerCase());
}

/** Why an External ID breaks AchieveIt's naming rules, or null when it follows them. */
export function externalIdProblem(id: string): { message: string; code: string } | null {
  if (id === '') return { message: 'External ID is required', code: 'required' };
  if (/external/i.test(id)) {
    return {
      message: `External ID "${id}" contains the word "external", which is not allowed`,
      code: 'external_word',
    };
  }
  if (id.includes(','))
    return { message: `External ID "${id}" contains a comma, which is not allowed`, code: 'comma' };
  if (/["“”]/.test(id)) {
    return { message: `External ID "${id}" contains a quotation mark, which is not allowed`, code: 'quote' };
  }
  return null;
}

function columnCountProblem(file: AchieveItFile, found: number): string {
  const names = ACHIEVEIT_LAYOUTS[file].map((c) => COLUMNS[c].name);
  const required = names.length - 1;
  const expected = `${required} or ${names.length} columns (${names.slice(0, -1).join(', ')}, optionally ${names.at(-1)})`;
  const hint = found > names.length ? '; a comma in an External ID or a value splits its cell' : '';
  return `expected ${expected}, found ${found}${hint}`;
}

/** A small bounded memo: files repeat their External IDs and dates row after row. */
function memo<T>(fn: (text: string) => T, max = 4096): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    let out = cache.get(text);
    if (out === undefined && !cache.has(text)) {
      out = fn(text);
      if (cache.size >= max) cache.clear();
      cache.set(text, out);
    }
    return out as T;
  };
}

export type AchieveItRowReader = (
  record: readonly string[],
  line: number,
  issues: FieldIssue[],
) => AchieveItRow | null;

/** A record that is no row of this file at all: empty, with a NUL, or with the wrong number of columns. */
function shapeIssue(
  file: AchieveItFile,
  columns: number,
  record: readonly string[],
  line: number,
): FieldIssue | null {
  if (isEmptyRow(record))
    return rowIssue(line, null, 'empty row: the file must not contain empty rows', 'empty_row');
  if (containsNul(record)) return rowIssue(line, null, `the row ${NUL_MESSAGE}`, 'nul');
  if (record.length < columns - 1 || record.length > columns) {
    return rowIssue(line, null, columnCountProblem(file, record.length), 'columns');
  }
  return null;
}

/** A progress update's Status cell; null after pushing its issue. */
function statusCell(text: string, line: number, issues: FieldIssue[]): AchieveItStatus | null {
  const status = parseStatus(text) ?? null;
  if (!status) {
    const message =
      text === ''
        ? 'Status is required'
        : `"${text}" is not a status; use one of ${ACHIEVEIT_STATUSES.join(', ')}`;
    issues.push(rowIssue(line, COLUMNS.status, message, text === '' ? 'required' : 'status'));
  }
  return status;
}

/**
 * A reader of one file's records: each call checks one record and returns its row, or
 * null after pushing its issues (every problem of the row, not only the first).
 */
export function achieveItRowReader(file: AchieveItFile): AchieveItRowReader {
  const layout = ACHIEVEIT_LAYOUTS[file];
  const progress = file === 'progressupdates';
  // Column positions: progress updates have Status second.
  const at = progress
    ? { status: 1, value: 2, date: 3, comment: 4 }
    : { status: -1, value: 1, date: 2, comment: 3 };
  const idProblem = memo(externalIdProblem);
  const asOfDate = memo(parseAsOfDate);

  return (record, line, issues) => {
    const shape = shapeIssue(file, layout.length, record, line);
    if (shape) {
      issues.push(shape);
      return null;
    }
    const before = issues.length;
    const externalId = record[0].trim();
    const badId = idProblem(externalId);
    if (badId) issues.push(rowIssue(line, COLUMNS.externalId, badId.message, badId.code));

    const status = progress ? statusCell(record[at.status].trim(), line, issues) : null;

    const valueText = record[at.value].trim();
    const valueProblem =
      valueText === ''
        ? { message: 'Current Metric Value is required', code: 'required' }
        : decimalProblem(valueText);
    if (valueProblem) issues.push(rowIssue(line, COLUMNS.value, valueProblem.message, valueProblem.code));

    const dateText = record[at.date].trim();
    const date = asOfDate(dateText);
    if (!date) {
      const message =
        dateText === ''
          ? 'As Of Date is required'
          : `"${dateText}" is not a date: use an ISO-8601 date (2024-03-31) or MM/DD/YYYY (03/31/2024)`;
      issues.push(rowIssue(line, COLUMNS.date, message, dateText === '' ? 'required' : 'date'));
    }

    if (issues.length > before || !date) return null;
    const comment = at.comment < record.length ? record[at.comment] : '';
    return {
      line,
      externalId,
      value: valueText,
      date,
      comment: comment.trim() === '' ? null : comment,
      status,
    };
  };
}
