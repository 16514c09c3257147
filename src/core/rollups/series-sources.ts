import type { Metric } from '../metrics.ts';
import { monthEnd } from '../periods.ts';
import type { PointFilter, PointRecord } from '../points/point-record.ts';
import type { Storage } from '../ports/index.ts';
import { type Accumulator, type Aggregate, columnsFor, fromRecord, orderKey, single } from './accumulator.ts';
import type { RollupLevel, RollupSlice } from './rollup-record.ts';

// Where a series reads from: rollup rows — months for whole months, days for days, weeks
// and the part-months at the ends of a range that does not start or end on a month
// boundary; per coordinates under a filter or a breakdown. An `as_of` read goes to the
// points and their revisions (rollups hold only the present).

/** One piece of a series: its date (the day or month it covers), its coordinates, its aggregates. */
export interface SeriesItem {
  date: string;
  coordKey: string;
  coordinates: string | null;
  acc: Accumulator;
}

export interface SourceQuery {
  fine: boolean; // day or week granularity
  from?: string;
  to?: string;
  coordinates?: Record<string, string>;
  byCoordinates: boolean; // a filter or a breakdown: rows per coordinates are needed
  /**
   * Only these coordinates keys, of the metric's `known` ones (a breakdown's top members: the
   * breakdown has read the metric's coordinates already).
   */
  onlyKeys?: string[];
  known?: { coord_key: string; coordinates: string | null }[];
  /** A series by year: per coordinates, whole years come from year rows (one per key and year). */
  yearly?: boolean;
  asOf?: string;
}

const PAGE = 5000;

/** Every matching point (current, or as it was at `asOf`) with a value, page by page. */
export async function* pointItems(
  storage: Storage,
  metric: Metric,
  numeric: boolean,
  f: Omit<PointFilter, 'after' | 'limit'>,
  asOf?: string,
): AsyncGenerator<SeriesItem[]> {
  let after: string | undefined;
  for (;;) {
    const filter = { ...f, after, limit: PAGE };
    const rows: PointRecord[] = asOf
      ? await storage.listPointsAsOf(metric.org_id, metric.id, asOf, filter)
      : await storage.listPoints(metric.org_id, metric.id, filter);
    yield rows
      .filter((p) => p.value !== null)
      .map((p) => ({
        date: p.period_start,
        coordKey: p.coord_key,
        coordinates: p.coordinates,
        acc: single(orderKey(p), p.value as string, numeric),
      }));
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].id;
  }
}

const monthOf = (date: string) => `${date.slice(0, 7)}-01`;

/**
 * The range cut at month boundaries: whole months (read from month rollups) and the
 * part-months at either end (read finer).
 */
export function splitAtMonths(from?: string, to?: string) {
  const headCut = from !== undefined && !from.endsWith('-01');
  const tailCut = to !== undefined && to !== monthEnd(monthOf(to));
  const parts: { from: string; to: string }[] = [];
  if (headCut && tailCut && monthOf(from) === monthOf(to)) {
    return { whole: null, parts: [{ from, to }] };
  }
  if (headCut) parts.push({ from, to: monthEnd(monthOf(from)) });
  if (tailCut) parts.push({ from: monthOf(to), to });
  const wholeFrom = headCut ? nextMonth(from) : from;
  const wholeTo = tailCut ? previousMonth(to) : to && monthOf(to);
  // No whole month between the two cuts (e.g. Jan 15 – Feb 10).
  if (wholeFrom !== undefined && wholeTo !== undefined && wholeFrom > wholeTo) return { whole: null, parts };
  return { whole: { from: wholeFrom, to: wholeTo }, parts };
}

function nextMonth(date: string): string | undefined {
  const [y, m] = date.split('-').map(Number);
  if (y === 9999 && m === 12) return '9999-12-31'; // after every month bucket of the calendar
  return m === 12
    ? `${String(y + 1).padStart(4, '0')}-01-01`
    : `${date.slice(0, 5)}${String(m + 1).padStart(2, '0')}-01`;
}

function previousMonth(date: string): string {
  const [y, m] = date.split('-').map(Number);
  if (y === 1 && m === 1) return '0000-12-01'; // before every month bucket
  return m === 1
    ? `${String(y - 1).padStart(4, '0')}-12-01`
    : `${date.slice(0, 5)}${String(m - 1).padStart(2, '0')}-01`;
}

/** Does a point's coordinates (JSON text) have every pair of the filter? */
function matches(coordinates: string | null, filter: Record<string, string>): boolean {
  const pairs = Object.entries(filter);
  if (pairs.length === 0) return true;
  const c = coordinates ? (JSON.parse(coordinates) as Record<string, unknown>) : {};
  return pairs.every(([k, v]) => c[k] !== undefined && String(c[k]) === v);
}

/** A rollup row as a series item, with its key's coordinates when they were read. */
const itemOf = (
  r: RollupSlice,
  coordinates: Map<string, string | null> | undefined,
  agg: Aggregate,
): SeriesItem => ({
  date: r.bucket,
  coordKey: r.coord_key,
  coordinates: coordinates?.get(r.coord_key) ?? null,
  acc: fromRecord(r, agg),
});

/** The items a series is built from, in batches. */
export async function* seriesItems(
  storage: Storage,
  metric: Metric,
  agg: Aggregate,
  numeric: boolean,
  q: SourceQuery,
): AsyncGenerator<SeriesItem[]> {
  if (q.asOf) {
    yield* pointItems(
      storage,
      metric,
      numeric,
      { from: q.from, to: q.to, coordinates: q.coordinates },
      q.asOf,
    );
    return;
  }
  for await (const { rows, coordinates } of seriesSlices(storage, metric, agg, q)) {
    yield rows.map((r) => itemOf(r, coordinates, agg));
  }
}

/**
 * The rollup rows a series (not as_of) is built from, in batches, as read, with the
 * coordinates of their keys when read per coordinates. What `seriesItems` turns into items; a
 * breakdown of thousands of rows reads them as they are (breakdown.ts).
 */
export async function* seriesSlices(
  storage: Storage,
  metric: Metric,
  agg: Aggregate,
  q: Omit<SourceQuery, 'asOf'>,
): AsyncGenerator<{ rows: RollupSlice[]; coordinates?: Map<string, string | null> }> {
  // A filter or a breakdown reads the rows of each coordinates key (by index); the keys come
  // from the metric's few distinct coordinates, matched here.
  let byKey: Map<string, string | null> | undefined;
  if (q.byCoordinates) {
    const known = q.known ?? (await storage.rollupCoordinates(metric.org_id, metric.id));
    const only = q.onlyKeys && new Set(q.onlyKeys);
    byKey = new Map(
      known
        .filter((c) => (!only || only.has(c.coord_key)) && matches(c.coordinates, q.coordinates ?? {}))
        .map((c) => [c.coord_key, c.coordinates]),
    );
  }
  const columns = columnsFor(agg);
  const rows = async (fine: boolean, from?: string, to?: string, level = levelOf(fine)) => ({
    rows: await storage.readRollups(metric.org_id, metric.id, {
      level,
      from,
      to,
      coordKeys: byKey ? [...byKey.keys()] : undefined,
      columns,
    }),
    coordinates: byKey,
  });
  function levelOf(fine: boolean): RollupLevel {
    if (byKey) return fine ? 'coord_day' : 'coord_month';
    return fine ? 'day' : 'month';
  }
  if (q.fine) {
    yield await rows(true, q.from, q.to);
    return;
  }
  const { whole, parts } = splitAtMonths(q.from, q.to);
  if (whole && q.yearly && byKey) {
    const { years, months } = splitAtYears(whole.from, whole.to);
    if (years) yield await rows(false, years.from, years.to, 'coord_year');
    for (const m of months) yield await rows(false, m.from, m.to);
  } else if (whole) yield await rows(false, whole.from, whole.to);
  for (const part of parts) yield await rows(true, part.from, part.to);
}

const pad4 = (y: number) => String(y).padStart(4, '0');

/**
 * Whole months [from, to] (month starts, open when absent) cut at year boundaries: the
 * whole years between (read from year rows) and the months at either end.
 */
export function splitAtYears(from?: string, to?: string) {
  const fy = from === undefined ? undefined : Number(from.slice(0, 4)) + (from.endsWith('-01-01') ? 0 : 1);
  const ty = to === undefined ? undefined : Number(to.slice(0, 4)) - (to.slice(5, 7) === '12' ? 0 : 1);
  const months: { from?: string; to?: string }[] = [];
  if ((fy !== undefined && ty !== undefined && fy > ty) || (fy ?? 0) > 9999 || (ty ?? 0) < 0) {
    return { years: null, months: [{ from, to }] };
  }
  if (from !== undefined && fy !== Number(from.slice(0, 4)))
    months.push({ from, to: `${from.slice(0, 4)}-12-01` });
  if (to !== undefined && ty !== Number(to.slice(0, 4))) months.push({ from: `${to.slice(0, 4)}-01-01`, to });
  const years = {
    from: fy === undefined ? undefined : `${pad4(fy)}-01-01`,
    to: ty === undefined ? undefined : `${pad4(ty)}-01-01`,
  };
  return { years, months };
}

/**
 * Each coordinates key's aggregates over a range, in pieces to merge per key: whole years
 * from coord_year rows, the months around them from coord_month, cut months from coord_day.
 * What a breakdown ranks its members by, read from the fewest rows.
 */
export async function rangeTotals(
  storage: Storage,
  metric: Metric,
  agg: Aggregate,
  q: { from?: string; to?: string; known: { coord_key: string; coordinates: string | null }[] },
): Promise<SeriesItem[]> {
  const coordinates = new Map(q.known.map((c) => [c.coord_key, c.coordinates]));
  const coordKeys = [...coordinates.keys()];
  const columns = columnsFor(agg);
  const read = async (level: 'coord_day' | 'coord_month' | 'coord_year', from?: string, to?: string) =>
    (await storage.readRollups(metric.org_id, metric.id, { level, from, to, coordKeys, columns })).map((r) =>
      itemOf(r, coordinates, agg),
    );
  const { whole, parts } = splitAtMonths(q.from, q.to);
  const out: SeriesItem[] = [];
  for (const part of parts) out.push(...(await read('coord_day', part.from, part.to)));
  if (whole) {
    const { years, months } = splitAtYears(whole.from, whole.to);
    if (years) out.push(...(await read('coord_year', years.from, years.to)));
    for (const m of months) out.push(...(await read('coord_month', m.from, m.to)));
  }
  return out;
}
