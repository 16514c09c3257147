import type { PointRecord } from '../points/point-record.ts';
import { type Accumulator, copy, mergeInto, orderKey, single, toRecordFields } from './accumulator.ts';
import type { MetricActivity, RollupCoordinates, RollupLevel, RollupRecord } from './rollup-record.ts';

/**
 * Every rollup row of one (metric, month) from that month's points (deleted ones included): per day a period
 * starts on and for the month, in all and per coordinates. A point belongs to the bucket
 * its period starts in, however far the period reaches.
 */
export function monthRollups(
  metric: { id: string; org_id: string },
  month: string,
  points: PointRecord[],
  numeric: boolean,
  /**
   * False for a metric without dimensions: its one coordinates key is '', and rows per
   * coordinates would repeat the others (a filter or a breakdown needs a dimension).
   */
  perCoordinates: boolean,
): { rows: RollupRecord[]; coordinates: RollupCoordinates[]; activity: MetricActivity | null } {
  // Per coordinates and day first (mostly one point each), then the coarser levels from those.
  const coordDays = new Map<string, { day: string; coordKey: string; acc: Accumulator }>();
  const coordinates = new Map<string, RollupCoordinates>();
  let activity: MetricActivity | null = null;
  for (const p of points) {
    // Deleted points count for the activity (a delete is a change), not for the values.
    if (!activity || p.updated_at > activity.last_write_at) {
      activity = {
        metric_id: metric.id,
        org_id: metric.org_id,
        last_write_at: p.updated_at,
        last_write_by: p.updated_by,
      };
    }
    if (p.value === null || p.deleted_at !== null) continue;
    const acc = single(orderKey(p), p.value, numeric);
    const id = `${p.coord_key}\u0000${p.period_start}`;
    const at = coordDays.get(id);
    if (at) mergeInto(at.acc, acc);
    else coordDays.set(id, { day: p.period_start, coordKey: p.coord_key, acc });
    if (!coordinates.has(p.coord_key)) {
      coordinates.set(p.coord_key, {
        metric_id: metric.id,
        org_id: metric.org_id,
        coord_key: p.coord_key,
        coordinates: p.coordinates,
      });
    }
  }
  const buckets: { level: RollupLevel; bucket: string; coordKey: string; acc: Accumulator }[] = [];
  const days = new Map<string, Accumulator>();
  const coordMonths = new Map<string, Accumulator>();
  const into = (map: Map<string, Accumulator>, key: string, acc: Accumulator) => {
    const at = map.get(key);
    if (at) mergeInto(at, acc);
    else map.set(key, copy(acc));
  };
  for (const cd of coordDays.values()) {
    if (perCoordinates)
      buckets.push({ level: 'coord_day', bucket: cd.day, coordKey: cd.coordKey, acc: cd.acc });
    into(days, cd.day, cd.acc);
    into(coordMonths, cd.coordKey, cd.acc);
  }
  let whole: Accumulator | null = null;
  for (const [coordKey, acc] of coordMonths) {
    if (perCoordinates) buckets.push({ level: 'coord_month', bucket: month, coordKey, acc });
    whole = whole ? mergeInto(whole, acc) : copy(acc);
  }
  for (const [day, acc] of days) buckets.push({ level: 'day', bucket: day, coordKey: '', acc });
  if (whole) buckets.push({ level: 'month', bucket: month, coordKey: '', acc: whole });
  const rows = buckets.map((b) => ({
    metric_id: metric.id,
    org_id: metric.org_id,
    level: b.level,
    bucket: b.bucket,
    coord_key: b.coordKey,
    ...toRecordFields(b.acc),
  }));
  return { rows, coordinates: perCoordinates ? [...coordinates.values()] : [], activity };
}
