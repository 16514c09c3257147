// Values are decimal strings as stored (never floats on the wire); they are turned into
// numbers only to be shown, by the metric's value type.

export type ValueType = 'number' | 'percentage' | 'currency' | 'integer' | 'text' | 'date' | 'boolean';

const CURRENCY = /^[A-Z]{3}$/;

export function formatValue(value: string | null | undefined, type: string, unit?: string | null): string {
  if (value === null || value === undefined) return '—';
  switch (type) {
    case 'currency': {
      const n = Number(value);
      const code = unit?.trim().toUpperCase() ?? '';
      if (CURRENCY.test(code)) {
        try {
          return new Intl.NumberFormat(undefined, { style: 'currency', currency: code }).format(n);
        } catch {
          // An unknown code: fall through to a plain number and the unit.
        }
      }
      return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(n)}${unit ? ` ${unit}` : ''}`;
    }
    case 'percentage':
      // Percentages are stored as fractions (0.2 is 20 %).
      return new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 }).format(
        Number(value),
      );
    case 'integer':
      return new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }).format(Number(value));
    case 'number':
      return new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 }).format(Number(value));
    case 'date':
      return formatDate(value);
    case 'boolean':
      return value === 'true' ? 'Yes' : value === 'false' ? 'No' : value;
    default:
      return value;
  }
}

/** A unit worth showing beside the value (a currency's code is already in the value). */
export function unitLabel(type: string, unit: string | null | undefined): string {
  if (!unit || type === 'percentage' || (type === 'currency' && CURRENCY.test(unit.trim().toUpperCase()))) {
    return '';
  }
  return unit;
}

/** YYYY-MM-DD shown as a date in the reader's locale, without a time-zone shift. */
export function formatDate(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day);
  if (!m) return day;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).toLocaleDateString(undefined, {
    timeZone: 'UTC',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  });
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** YYYY-MM-DD to seconds since the epoch (uPlot's x axis), at UTC midnight. */
export function daySeconds(day: string): number {
  return Date.parse(`${day.slice(0, 10)}T00:00:00Z`) / 1000;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who wrote: an API key is recorded by its id, shown short (the full id in a title). */
export function actorLabel(actor: string | null | undefined): string {
  if (!actor) return '—';
  return UUID.test(actor) ? `key ${actor.slice(0, 8)}` : actor;
}

export type Granularity = 'day' | 'week' | 'month' | 'quarter' | 'year';

const utc = (options: Intl.DateTimeFormatOptions) =>
  new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', ...options });
const MONTH = utc({ month: 'short', year: 'numeric' });
const DAY = utc({ month: 'short', day: 'numeric' });
const DAY_YEAR = utc({ month: 'short', day: 'numeric', year: 'numeric' });

/** A period's start (UTC seconds) as its axis label: "Mar 2024", "Q1 2024", "2024", "Mar 3". */
export function periodLabel(seconds: number, granularity: Granularity, manyYears: boolean): string {
  const d = new Date(seconds * 1000);
  switch (granularity) {
    case 'year':
      return String(d.getUTCFullYear());
    case 'quarter':
      return `Q${Math.floor(d.getUTCMonth() / 3) + 1} ${d.getUTCFullYear()}`;
    case 'month':
      return MONTH.format(d);
    default:
      return (manyYears ? DAY_YEAR : DAY).format(d);
  }
}
