import type { Metric } from '../metrics.ts';
import type { Storage } from '../ports/index.ts';
import { type Accumulator, copy, fromWholeRecord, mergeInto, toRecordFields } from './accumulator.ts';
import type { RollupRecord } from './rollup-record.ts';

// Rows per coordinates key and year, merged from that year's coord_month rows. A breakdown
// over 27 years ranks 100 members from 2,700 of them instead of 32,400 month rows (the
// ranking needs every member's aggregate over the whole range, the series only the top N's).

const ALL_COLUMNS = ['sum', 'min', 'max', 'first_key', 'first_value', 'last_key', 'last_value'] as const;

/**
 * The coord_year rows of these years ('YYYY-01-01'), from the coord_month rows as `tx`
 * holds them now (the months just recomputed included).
 */
export async function yearRollups(
  tx: Storage,
  metric: Pick<Metric, 'id' | 'org_id'>,
  years: string[],
): Promise<RollupRecord[]> {
  if (years.length === 0) return [];
  const keys = (await tx.rollupCoordinates(metric.org_id, metric.id)).map((c) => c.coord_key);
  const sorted = [...years].sort();
  const wanted = new Set(sorted);
  const months = await tx.readRollups(metric.org_id, metric.id, {
    level: 'coord_month',
    from: sorted[0],
    to: `${sorted[sorted.length - 1].slice(0, 4)}-12-01`,
    coordKeys: keys,
    columns: [...ALL_COLUMNS],
  });
  const byYear = new Map<string, { year: string; coordKey: string; acc: Accumulator }>();
  for (const r of months) {
    const year = `${r.bucket.slice(0, 4)}-01-01`;
    if (!wanted.has(year)) continue;
    const id = `${year}\u0000${r.coord_key}`;
    const at = byYear.get(id);
    if (at) mergeInto(at.acc, fromWholeRecord(r));
    else byYear.set(id, { year, coordKey: r.coord_key, acc: copy(fromWholeRecord(r)) });
  }
  return [...byYear.values()].map((y) => ({
    metric_id: metric.id,
    org_id: metric.org_id,
    level: 'coord_year' as const,
    bucket: y.year,
    coord_key: y.coordKey,
    ...toRecordFields(y.acc),
  }));
}
