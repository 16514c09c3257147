import { Invalid } from '../errors.ts';

// Counts per day rolled up into day, week (ISO: starting Monday) or month buckets, with
// every bucket of the range present (zero when nothing happened), all in UTC.

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Most buckets one series may have. */
export const MAX_BUCKETS = 10_000;

const DAY_MS = 86_400_000;
const toDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const msOf = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** The first day of the bucket `day` falls in. */
export function bucketStart(day: string, g: Granularity): string {
  if (g === 'day') return day;
  if (g === 'month') return `${day.slice(0, 7)}-01`;
  const ms = msOf(day);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday = 0
  return toDay(ms - weekday * DAY_MS);
}

function nextBucket(start: string, g: Granularity): string {
  if (g === 'day') return toDay(msOf(start) + DAY_MS);
  if (g === 'week') return toDay(msOf(start) + 7 * DAY_MS);
  const d = new Date(msOf(start));
  return toDay(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

function bucketCount(first: string, last: string, g: Granularity): number {
  if (g === 'month') {
    const months = (s: string) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7));
    return months(last) - months(first) + 1;
  }
  return Math.round((msOf(last) - msOf(first)) / (g === 'day' ? DAY_MS : 7 * DAY_MS)) + 1;
}

export interface SeriesPoint {
  period_start: string;
  count: number;
}

/**
 * The buckets from the one `from` falls in to the one `to` falls in, in order; none when
 * either is missing or `from` is after `to`.
 */
export function bucketsBetween(g: Granularity, from: string | undefined, to: string | undefined): string[] {
  if (from === undefined || to === undefined || from > to) return [];
  const first = bucketStart(from, g);
  const last = bucketStart(to, g);
  if (bucketCount(first, last, g) > MAX_BUCKETS) {
    throw new Invalid(
      [{ field: 'to', in: 'query', message: `the range has more than ${MAX_BUCKETS} ${g} buckets` }],
      true,
    );
  }
  const out: string[] = [];
  for (let b = first; b <= last; b = nextBucket(b, g)) out.push(b);
  return out;
}

/**
 * Counts laid over `buckets` (from bucketsBetween), zero where nothing happened; `at` maps
 * each bucket to its position. Each of `rows` is a bucket start or a day, of `g`.
 */
export function seriesOver(
  buckets: string[],
  at: Map<string, number>,
  rows: { day: string; n: number }[],
  g: Granularity,
): SeriesPoint[] {
  const counts = new Array<number>(buckets.length).fill(0);
  for (const { day, n } of rows) {
    const i = at.get(day) ?? at.get(bucketStart(day, g));
    if (i !== undefined) counts[i] += n;
  }
  return buckets.map((period_start, i) => ({ period_start, count: counts[i] }));
}
