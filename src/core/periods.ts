import { Invalid } from './errors.ts';

// Periods are inclusive spans of calendar dates, kept as 'YYYY-MM-DD' text: a date has no
// time zone, and text compares correctly on both engines.

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Year 0000 is no calendar year, and PostgreSQL's date refuses it: both engines refuse.
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

/** A date bound of a query (`from`, `to`, `start_date`…): a real date of years 0001–9999. */
export function queryDate(value: string | undefined, field: string): string | undefined {
  if (value !== undefined && !isIsoDate(value)) {
    throw new Invalid(
      [{ field, in: 'query', message: 'must be a date YYYY-MM-DD of the years 0001-9999' }],
      true,
    );
  }
  return value;
}

/** An instant of a query (`as_of`): ISO-8601 with a date part, years 0001–9999, as UTC text. */
export function queryInstant(value: string, field: string): string {
  const t = new Date(value);
  const year = t.getUTCFullYear();
  if (
    !/^\d{4}-\d{2}-\d{2}T/.test(value) ||
    !isIsoDate(value.slice(0, 10)) ||
    Number.isNaN(t.getTime()) ||
    year < 1 ||
    year > 9999
  ) {
    throw new Invalid([
      { field, message: 'must be an ISO-8601 date-time of the years 0001-9999', in: 'query' },
    ]);
  }
  return t.toISOString();
}

// Date.UTC reads years 0-99 as 1900-1999; setUTCFullYear takes every year as given.
function utcDate(year: number, month: number, day: number): Date {
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day);
  return t;
}

export function daysInMonth(year: number, month: number): number {
  return utcDate(year, month + 1, 0).getUTCDate();
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Workiva's reporting period: from the first day of month `start` to the last day of month `end`. */
export function reportingPeriod(p: { year: number; start: number; end: number }, path = 'reportingPeriod') {
  const issues = [];
  if (!Number.isInteger(p.year) || p.year < 1 || p.year > 9999)
    issues.push({ field: `${path}.year`, message: 'must be a year' });
  if (!Number.isInteger(p.start) || p.start < 1 || p.start > 12)
    issues.push({ field: `${path}.start`, message: 'must be a month from 1 to 12' });
  if (!Number.isInteger(p.end) || p.end < 1 || p.end > 12)
    issues.push({ field: `${path}.end`, message: 'must be a month from 1 to 12' });
  if (!issues.length && p.start > p.end)
    issues.push({ field: `${path}.start`, message: 'must not be after end' });
  if (issues.length) throw new Invalid(issues);
  return {
    start: `${pad(p.year, 4)}-${pad(p.start)}-01`,
    end: `${pad(p.year, 4)}-${pad(p.end)}-${pad(daysInMonth(p.year, p.end))}`,
  };
}

export type Granularity = 'day' | 'week' | 'month' | 'quarter' | 'year';

/** The first day of the bucket a date falls in (weeks start on Monday, ISO-8601). */
export function bucketStart(date: string, granularity: Granularity): string {
  const [y, m, d] = date.split('-').map(Number);
  switch (granularity) {
    case 'day':
      return date;
    case 'week': {
      const t = utcDate(y, m, d);
      t.setUTCDate(t.getUTCDate() - ((t.getUTCDay() + 6) % 7));
      return t.toISOString().slice(0, 10);
    }
    case 'month':
      return `${pad(y, 4)}-${pad(m)}-01`;
    case 'quarter':
      return `${pad(y, 4)}-${pad(Math.floor((m - 1) / 3) * 3 + 1)}-01`;
    case 'year':
      return `${pad(y, 4)}-01-01`;
  }
}

/** The last day of the month `monthStart` ('YYYY-MM-01') begins. */
export function monthEnd(monthStart: string): string {
  const [y, m] = monthStart.split('-').map(Number);
  return `${monthStart.slice(0, 8)}${pad(daysInMonth(y, m))}`;
}

/** The first day of the month after the one `date` falls in. */
export function nextMonthStart(date: string): string {
  const [y, m] = date.split('-').map(Number);
  return m === 12 ? `${pad(y + 1, 4)}-01-01` : `${pad(y, 4)}-${pad(m + 1)}-01`;
}

/** The bucket before `bucket` (a bucket's first day). */
export function previousBucket(bucket: string, g: Granularity): string {
  const [y, m, d] = bucket.split('-').map(Number);
  const t =
    g === 'day' || g === 'week'
      ? utcDate(y, m, d - (g === 'day' ? 1 : 7))
      : utcDate(y, m - (g === 'month' ? 1 : g === 'quarter' ? 3 : 12), 1);
  return t.toISOString().slice(0, 10);
}

/** The first day of the month `n` months before the month `month` falls in. */
export function monthsBefore(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  return utcDate(y, m - n, 1)
    .toISOString()
    .slice(0, 10);
}
