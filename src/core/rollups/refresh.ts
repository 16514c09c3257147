import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ValueType } from '../limits.ts';
import { monthEnd } from '../periods.ts';
import type { PointRecord } from '../points/point-record.ts';
import type { Storage } from '../ports/index.ts';
import { isNumericType } from '../values.ts';
import { monthRollups } from './month-rollups.ts';
import type { MetricActivity, RollupCoordinates, RollupMark, RollupRecord } from './rollup-record.ts';
import { yearRollups } from './year-rollups.ts';

// Rollups are never stale: every write of points marks its (metric, month) in the same
// transaction (store/points.ts), and a month's rollups are only read once its mark is gone.
// A refresh recomputes marked months from their points — exact, and bounded by the months
// written, so a late correction or a delete costs one month's recompute, not a scan.
//
// Months go several to a transaction (one lock, one read of the points, one write of the
// rows): after a bulk load, one transaction per month spent most of its time in the
// statements around the work (100 metrics × 330 months took 295 s on PostgreSQL). How many
// adapts to how long a chunk took, and the event loop gets a turn between chunks: on SQLite
// the driver is synchronous, and a catch-up in one go held every other request (40 s).

/** Chunks aim to take about this long; the event loop gets a turn after each. */
const CHUNK_TARGET_MS = 25;
const CHUNK_MAX_MONTHS = 64;

// One refresh per metric at a time in this process: a second caller waits for the first,
// then finds what is left to do.
const inFlight = new Map<string, Promise<void>>();

/**
 * Recomputes these marked months (any metrics) and clears each mark unless a write bumped it
 * meanwhile. `yieldWhen`, asked between chunks, stops the work there: the months not reached
 * keep their marks (the background refresher gives way to writes this way).
 */
export async function refreshMarks(
  storage: Storage,
  marks: RollupMark[],
  yieldWhen: () => boolean = () => false,
): Promise<void> {
  const byMetric = new Map<string, RollupMark[]>();
  for (const m of marks) byMetric.set(m.metric_id, [...(byMetric.get(m.metric_id) ?? []), m]);
  for (const [metricId, list] of byMetric) {
    while (inFlight.has(metricId)) await inFlight.get(metricId);
    if (yieldWhen()) return;
    const running = refreshMetricMarks(storage, list, yieldWhen).finally(() => inFlight.delete(metricId));
    inFlight.set(metricId, running);
    await running;
  }
}

/** One recompute of a single month (tests, and callers holding one mark). */
export const refreshMonth = (storage: Storage, mark: RollupMark) => refreshMarks(storage, [mark]);

async function refreshMetricMarks(
  storage: Storage,
  marks: RollupMark[],
  yieldWhen: () => boolean,
): Promise<void> {
  // A month written by several transactions has a mark of each; one recompute clears them all.
  const todo = [...new Map(marks.map((m) => [m.month, m])).values()].sort((a, b) =>
    a.month < b.month ? -1 : 1,
  );
  let size = 1;
  while (todo.length > 0 && !yieldWhen()) {
    const chunk = todo.splice(0, size);
    const started = Date.now();
    await recompute(storage, chunk);
    const took = Date.now() - started;
    if (took < CHUNK_TARGET_MS / 2) size = Math.min(size * 2, CHUNK_MAX_MONTHS);
    else if (took > CHUNK_TARGET_MS * 2) size = Math.max(1, Math.floor(size / 2));
    await nextTurn();
  }
}

/** Recomputes some marked months of one metric in one transaction. */
async function recompute(storage: Storage, taken: RollupMark[]): Promise<void> {
  const { metric_id: metricId, org_id: orgId } = taken[0];
  await storage.transaction(async (tx) => {
    // One refresh of a metric at a time, across processes: two replacing the same months'
    // rows at once would collide on their keys. Writers do not take this lock (they lock the
    // points they write): a write that commits while this runs leaves a mark of its own
    // version, which this refresh does not clear, so its month is recomputed again.
    await tx.lockKeys([`rollups:${metricId}`]);
    // The marks as they are now, under the lock: a month another refresh (a read's, or the
    // background's) has done since these marks were taken is not done again. Without this
    // the background refresher, holding a batch taken just before a read refreshed the same
    // months, recomputed all of them a second time: 11 s of a busy event loop after a 1M-point
    // catch-up on SQLite, month reads at 39 ms instead of 1.5 ms meanwhile.
    const months = new Set(taken.map((m) => m.month));
    const current = await tx.rollupMarks(orgId, [metricId], {
      since: taken[0].month,
      until: taken[taken.length - 1].month,
    });
    const marks = current.filter((m) => months.has(m.month));
    if (marks.length === 0) return;
    const [metric] = await tx.findMetricsByIds(orgId, [metricId]);
    if (!metric) return; // deleted meanwhile: its marks and rollups went with it
    const numeric = isNumericType(metric.value_type as ValueType);
    const perCoordinates = (await tx.listDimensions(orgId, [metricId])).length > 0;
    const first = marks[0].month;
    const last = marks[marks.length - 1].month;
    const byMonth = new Map<string, PointRecord[]>(marks.map((m) => [m.month, []]));
    for (const p of await tx.monthPoints(orgId, metricId, first, monthEnd(last))) {
      byMonth.get(`${p.period_start.slice(0, 7)}-01`)?.push(p);
    }
    // Turns for other requests between the steps and the months, too: a month of thousands
    // of points is tens of milliseconds of synchronous work per step on SQLite.
    await nextTurn();
    const rows: RollupRecord[] = [];
    const coordinates = new Map<string, RollupCoordinates>();
    let latest: MetricActivity | null = null;
    for (const [month, points] of byMonth) {
      const out = monthRollups(metric, month, points, numeric, perCoordinates);
      rows.push(...out.rows);
      for (const c of out.coordinates) coordinates.set(c.coord_key, c);
      if (out.activity && (!latest || out.activity.last_write_at > latest.last_write_at))
        latest = out.activity;
    }
    await nextTurn();
    await tx.replaceMonthRollups(orgId, metricId, [...byMonth.keys()], rows, [...coordinates.values()]);
    // Then the years those months are in, from their months as they now are (none without dimensions).
    const years = [...new Set(marks.map((m) => `${m.month.slice(0, 4)}-01-01`))];
    await tx.replaceYearRollups(
      orgId,
      metricId,
      years,
      perCoordinates ? await yearRollups(tx, metric, years) : [],
    );
    if (latest) await tx.noteMetricActivity(latest);
    await tx.clearRollupMarks(marks);
  });
}

/** Brings the rollups of some metrics up to date (usually nothing to do), only months from `since` on when given. */
export async function refreshMetrics(
  storage: Storage,
  orgId: string,
  metricIds: string[],
  range: { since?: string; until?: string } = {},
): Promise<void> {
  const since = range.since && `${range.since.slice(0, 7)}-01`;
  const marks = await storage.rollupMarks(orgId, metricIds, { since, until: range.until });
  if (marks.length > 0) await refreshMarks(storage, marks);
}

export const refreshMetric = (storage: Storage, orgId: string, metricId: string, range = {}) =>
  refreshMetrics(storage, orgId, [metricId], range);
