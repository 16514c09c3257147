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
 * `daily` is sorted by day. The series runs from `from` (or the first day with events) to
 * `to` (or the last one); with neither and no events it is empty.
 */
export function toSeries(
  daily: { day: string; n: number }[],
  g: Granularity,
  range: { from?: string; to?: string },
): SeriesPoint[] {
  const firstDay = range.from ?? daily[0]?.day;
  const lastDay = range.to ?? daily[daily.length - 1]?.day;
  if (firstDay === undefined || lastDay === undefined || firstDay > lastDay) return [];
  const first = bucketStart(firstDay, g);
  const last = bucketStart(lastDay, g);
  if (bucketCount(first, last, g) > MAX_BUCKETS) {
    throw new Invalid(
      [{ field: 'to', in: 'query', message: `the range has more than ${MAX_BUCKETS} ${g} buckets` }],
      true,
    );
  }
  const counts = new Map<string, number>();
  for (const { day, n } of daily) {
    const b = bucketStart(day, g);
    counts.set(b, (counts.get(b) ?? 0) + n);
  }
  const out: SeriesPoint[] = [];
  for (let b = first; b <= last; b = nextBucket(b, g))
    out.push({ period_start: b, count: counts.get(b) ?? 0 });
  return out;
}
