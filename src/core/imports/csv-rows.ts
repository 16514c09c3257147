import Big from 'big.js';
import type { FieldIssue } from '../errors.ts';

// Rules every row of an imported file follows, whatever its layout. Each problem becomes
// a FieldIssue naming the line and the column, so the person who fixes the file can go
// straight to the cell.

/** How a file row is named in issues: `lines[12]`, and `lines[12].value` for a cell. */
export const linePath = (line: number): string => `lines[${line}]`;

export function rowIssue(
  line: number,
  column: { key: string; name: string } | null,
  message: string,
  code: string,
): FieldIssue {
  return {
    field: column ? `${linePath(line)}.${column.key}` : linePath(line),
    message,
    line,
    code,
    ...(column ? { column: column.name } : {}),
  };
}

/** A row with no cells, or only blank ones (`,,` is how spreadsheets save an empty row). */
export function isEmptyRow(record: readonly string[]): boolean {
  for (const cell of record) if (cell.trim() !== '') return false;
  return true;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** A plain decimal as people type it: `12`, `-3.5`, `.2`, `5.`; no exponent, no grouping. */
export const isPlainDecimal = (text: string): boolean => DECIMAL.test(text);

/** Why a value cell is not a decimal, in the words a spreadsheet user understands. */
export function decimalProblem(text: string): { message: string; code: string } | null {
  if (isPlainDecimal(text)) return null;
  if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*%$/.test(text)) {
    const fraction = new Big(text.replace('%', '').trim().replace(/^\+/, '')).div(100).toString();
    return {
      message: `"${text}" is a percentage: write percentages as decimal fractions (${text} as ${fraction})`,
      code: 'percentage',
    };
  }
  if (/^[+-]?[\d,]+(?:\.\d*)?$/.test(text) && text.includes(',')) {
    return { message: `"${text}" has a thousands separator: write the number without it`, code: 'decimal' };
  }
  return { message: `"${text}" is not a decimal number`, code: 'decimal' };
}
