import type { ValueType } from '../limits.ts';
import { monthEnd } from '../periods.ts';
import type { Storage } from '../ports/index.ts';
import { isNumericType } from '../values.ts';
import { monthRollups } from './month-rollups.ts';
import type { RollupMark } from './rollup-record.ts';

// Rollups are never stale: every write of points marks its (metric, month) in the same
// transaction (store/points.ts), and a month's rollups are only read once its mark is gone.
// A refresh recomputes the month from its points — exact, and bounded by one month of one
// metric, so a late correction or a delete costs one month's recompute, not a scan.

// Refreshes of one (metric, month) in flight in this process: a second caller waits for the
// first instead of doing the same work again.
const inFlight = new Map<string, Promise<void>>();

/** Recomputes one marked month and clears its mark, unless a write bumped it meanwhile. */
export function refreshMonth(storage: Storage, mark: RollupMark): Promise<void> {
  const id = `${mark.metric_id}/${mark.month}`;
  let running = inFlight.get(id);
  if (!running) {
    running = recompute(storage, mark).finally(() => inFlight.delete(id));
    inFlight.set(id, running);
  }
  return running;
}

async function recompute(storage: Storage, mark: RollupMark): Promise<void> {
  await storage.transaction(async (tx) => {
    // The writers' lock on the metric: no write of it runs while the month is read and replaced.
    await tx.lockKeys([mark.metric_id]);
    const [metric] = await tx.findMetricsByIds(mark.org_id, [mark.metric_id]);
    if (!metric) return; // deleted meanwhile: its marks and rollups went with it
    const points = await tx.monthPoints(mark.org_id, mark.metric_id, mark.month, monthEnd(mark.month));
    const numeric = isNumericType(metric.value_type as ValueType);
    const dimensions = await tx.listDimensions(mark.org_id, [mark.metric_id]);
    const { rows, coordinates, activity } = monthRollups(
      metric,
      mark.month,
      points,
      numeric,
      dimensions.length > 0,
    );
    await tx.replaceMonthRollups(mark.metric_id, mark.month, rows, coordinates);
    if (activity) await tx.noteMetricActivity(activity);
    await tx.clearRollupMark(mark);
  });
}

/** Brings every rollup of some metrics up to date (usually nothing to do). */
export async function refreshMetrics(storage: Storage, orgId: string, metricIds: string[]): Promise<void> {
  for (const mark of await storage.rollupMarks(orgId, metricIds)) await refreshMonth(storage, mark);
}

export const refreshMetric = (storage: Storage, orgId: string, metricId: string) =>
  refreshMetrics(storage, orgId, [metricId]);
