// Plain-text rendering for `kpihub series` and `kpihub summary`: aligned columns, period
// labels, signed changes and sparklines. Values are printed as the server's exact strings;
// they become Numbers only to pick a sparkline's bar heights.

export type Align = 'left' | 'right';

/** Width in characters as a terminal shows them (code points, not UTF-16 units). */
const width = (s: string): number => [...s].length;

const pad = (s: string, w: number, align: Align): string => {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'right' ? fill + s : s + fill;
};

/** Rows (and a header row, when given) in columns two spaces apart, without trailing blanks. */
export function columns(rows: string[][], align: Align[], header?: string[]): string[] {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, width(cell));
  }
  return all.map((row) =>
    row
      .map((cell, i) => pad(cell, widths[i], align[i] ?? 'left'))
      .join('  ')
      .trimEnd(),
  );
}

/** A period's first day as the period reads: 2024-03 (month), 2024-Q1, 2024; days and weeks as dates. */
export function periodLabel(start: string, granularity: string): string {
  const m = /^(\d{4})-(\d{2})-\d{2}$/.exec(start);
  if (!m) return start;
  if (granularity === 'month') return `${m[1]}-${m[2]}`;
  if (granularity === 'quarter') return `${m[1]}-Q${Math.floor((Number(m[2]) - 1) / 3) + 1}`;
  if (granularity === 'year') return m[1];
  return start;
}

/** A decimal string with its sign: +12.5, -3, 0. */
export function signed(decimal: string): string {
  if (decimal.startsWith('-') || decimal.startsWith('+')) return decimal;
  return /^0(\.0*)?$/.test(decimal) ? decimal : `+${decimal}`;
}

/** A value with its unit: 12 USD, 4.5%. */
export function withUnit(value: string, unit: string | null): string {
  if (!unit) return value;
  return unit === '%' ? `${value}%` : `${value} ${unit}`;
}

/** An ISO-8601 instant to the minute, in UTC: 2024-05-01 09:30Z; anything else as it is. */
export function instant(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * One bar a value, scaled from the smallest to the largest; a period without a (numeric)
 * value is a blank, so gaps show. All values equal: every bar half high.
 */
export function sparkline(values: (string | null)[]): string {
  const nums = values.map((v) => (v === null || v.trim() === '' ? Number.NaN : Number(v)));
  const finite = nums.filter(Number.isFinite);
  if (finite.length === 0) return ' '.repeat(values.length);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return nums
    .map((n) => {
      if (!Number.isFinite(n)) return ' ';
      if (max === min) return BARS[3];
      return BARS[Math.min(BARS.length - 1, Math.floor(((n - min) / (max - min)) * BARS.length))];
    })
    .join('');
}
