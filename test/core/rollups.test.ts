import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Invalid } from '../../src/core/errors.ts';
import { createMetric, type Metric, type MetricInput, updateMetric } from '../../src/core/metrics.ts';
import { bucketStart, type Granularity } from '../../src/core/periods.ts';
import type { PointInput } from '../../src/core/points/point-input.ts';
import {
  AGGREGATES,
  type Aggregate,
  aggregate,
  type SeriesGroup,
  series,
} from '../../src/core/points/series.ts';
import { deletePoints, writePoints } from '../../src/core/points/write.ts';
import { refreshMarks, refreshMetric, refreshMonth } from '../../src/core/rollups/refresh.ts';
import { startRollupRefresher } from '../../src/core/rollups/refresher.ts';
import { canonicalDecimal } from '../../src/core/values.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// Rollups (src/core/rollups) against the points they summarize, on both engines: every
// answer is compared with the same aggregate computed from the points directly.

type Written = Omit<PointInput, 'metricId' | 'path'>;
const GRANULARITIES: Granularity[] = ['day', 'week', 'month', 'quarter', 'year'];

/** What a series must answer: the points' values grouped by the bucket their period starts in. */
function expected(
  points: { periodStart: string; periodEnd?: string; value: string; member?: string }[],
  g: Granularity,
  agg: Aggregate,
) {
  const sorted = [...points].sort((a, b) => {
    const ka = `${a.periodStart}/${a.periodEnd ?? a.periodStart}/${a.member ?? ''}`;
    const kb = `${b.periodStart}/${b.periodEnd ?? b.periodStart}/${b.member ?? ''}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const buckets = new Map<string, string[]>();
  for (const p of sorted) {
    const key = bucketStart(p.periodStart, g);
    buckets.set(key, [...(buckets.get(key) ?? []), p.value]);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([period_start, values]) => ({ period_start, value: aggregate(agg, values), count: values.length }));
}

describe.each(engines())('rollups [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const storage = () => createStorage(ctx().store);
  const actor = (): Actor => ({ orgId: ctx().orgA.id, actor: 'alice', keyId: 'k', scopes: ['write'] });
  const metric = (input: Partial<MetricInput> = {}): Promise<Metric> =>
    createMetric(storage(), actor(), null, { name: 'Revenue', value_type: 'number', ...input });
  const write = (m: Metric, points: Written[]) =>
    writePoints(
      storage(),
      actor(),
      points.map((p, i) => ({ metricId: m.id, path: `p[${i}]`, ...p })),
    );
  /** A point of one day in one region (metrics with a `region` dimension). */
  const at = (periodStart: string, value: string, region: string) => ({
    periodStart,
    value,
    coordinates: { region },
  });
  const run = (m: Metric, g: Granularity, agg: Aggregate, q: Parameters<typeof series>[5] = {}) =>
    series(storage(), ctx().orgA.id, m.id, g, agg, q);

  it('sums 0.1 ten thousand times to exactly 1000, and every aggregate is exact', async () => {
    const m = await metric();
    const days: Written[] = [];
    for (let i = 0; i < 10_000; i++) {
      const d = new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      days.push({ periodStart: d, value: '0.1' });
    }
    await write(m, days);
    const total = await run(m, 'year', 'sum', { from: '2000-01-01', to: '2099-12-31' });
    const sum = total.points.reduce((n, p) => n + p.count, 0);
    expect(sum).toBe(10_000);
    // Per year: 366 days of 2000 → 36.6 exactly, not 36.60000000000001.
    expect(total.points[0]).toEqual({ period_start: '2000-01-01', value: '36.6', count: 366 });
    const all = await run(m, 'year', 'sum');
    expect(
      aggregate(
        'sum',
        all.points.map((p) => p.value),
      ),
    ).toBe('1000');
    expect((await run(m, 'month', 'avg')).points.every((p) => p.value === '0.1')).toBe(true);

    const big = await metric();
    await write(big, [
      { periodStart: '2024-01-01', value: '12345678901234567890.12345678901234567890' },
      { periodStart: '2024-01-02', value: '-0.00000000000000000001' },
      { periodStart: '2024-01-03', value: '1' },
    ]);
    const at = async (agg: Aggregate) => (await run(big, 'month', agg)).points[0].value;
    expect(await at('sum')).toBe('12345678901234567891.12345678901234567889');
    expect(await at('min')).toBe('-0.00000000000000000001');
    expect(await at('max')).toBe('12345678901234567890.1234567890123456789');
    expect(await at('avg')).toBe('4115226300411522630.37448559633744855963');
    expect(await at('first')).toBe('12345678901234567890.1234567890123456789');
    expect(await at('last')).toBe('1');
    expect(await at('count')).toBe('3');
  });

  it('answers what the points say, for any points, granularity and aggregate (property)', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    const date = fc
      .date({
        min: new Date('2019-12-20T00:00:00Z'),
        max: new Date('2021-01-10T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 10));
    const point = fc.record({
      periodStart: date,
      value: fc
        .oneof(
          fc.integer({ min: -1000, max: 1000 }).map(String),
          fc
            .tuple(fc.integer({ min: -99, max: 99 }), fc.integer({ min: 0, max: 999 }))
            .map(([a, b]) => `${a}.${b}`),
        )
        .map((v) => canonicalDecimal(v) as string), // stored values are canonical ('1.50' is kept as '1.5')
      member: fc.constantFrom('EU', 'US', 'APAC'),
    });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(point, { minLength: 1, maxLength: 40 }), async (raw) => {
        round++;
        // One point per identity: the last write of (day, member) wins.
        const byId = new Map(raw.map((p) => [`${p.periodStart}/${p.member}`, p]));
        const points = [...byId.values()];
        const fresh = await metric({ name: `P${round}`, dimensions: [{ name: 'region' }] });
        await write(
          fresh,
          points.map((p) => ({
            periodStart: p.periodStart,
            value: p.value,
            coordinates: { region: p.member },
          })),
        );
        const coords = <P extends { member: string }>(p: P) => ({
          ...p,
          member: JSON.stringify({ region: p.member }),
        });
        for (const g of GRANULARITIES) {
          for (const agg of AGGREGATES) {
            const got = (await run(fresh, g, agg)).points;
            expect(got, `${g} ${agg}`).toEqual(expected(points.map(coords), g, agg));
          }
          const eu = points.filter((p) => p.member === 'EU');
          expect((await run(fresh, g, 'sum', { coordinates: { region: 'EU' } })).points).toEqual(
            expected(eu.map(coords), g, 'sum'),
          );
          // A range that cuts months at both ends.
          const inRange = points.filter(
            (p) => p.periodStart >= '2020-01-15' && p.periodStart <= '2020-11-20',
          );
          expect((await run(fresh, g, 'max', { from: '2020-01-15', to: '2020-11-20' })).points).toEqual(
            expected(inRange.map(coords), g, 'max'),
          );
        }
      }),
      { numRuns: 8 },
    );
    expect(m.dimensions).toHaveLength(1);
  });

  it('buckets ISO weeks across the year end, months, quarters and years at their edges', async () => {
    const m = await metric();
    await write(m, [
      { periodStart: '2020-12-31', value: '1' }, // Thursday: the week of Monday 2020-12-28
      { periodStart: '2021-01-03', value: '2' }, // Sunday: still that week (ISO week 53 of 2020)
      { periodStart: '2021-01-04', value: '4' }, // Monday: week 1 of 2021
      { periodStart: '2021-03-31', value: '8' }, // last day of Q1
      { periodStart: '2021-04-01', value: '16' }, // first day of Q2
      { periodStart: '2021-12-31', periodEnd: '2022-01-31', value: '32' }, // spans years: counts in 2021
    ]);
    const pairs = async (g: Granularity) =>
      (await run(m, g, 'sum')).points.map((p) => [p.period_start, p.value]);
    expect(await pairs('week')).toEqual([
      ['2020-12-28', '3'],
      ['2021-01-04', '4'],
      ['2021-03-29', '24'], // Wednesday and Thursday of one week
      ['2021-12-27', '32'],
    ]);
    expect(await pairs('month')).toEqual([
      ['2020-12-01', '1'],
      ['2021-01-01', '6'],
      ['2021-03-01', '8'],
      ['2021-04-01', '16'],
      ['2021-12-01', '32'],
    ]);
    expect(await pairs('quarter')).toEqual([
      ['2020-10-01', '1'],
      ['2021-01-01', '14'],
      ['2021-04-01', '16'],
      ['2021-10-01', '32'],
    ]);
    expect(await pairs('year')).toEqual([
      ['2020-01-01', '1'],
      ['2021-01-01', '62'],
    ]);
  });

  it('shows a late correction, a delete and a revival in the next read', async () => {
    const m = await metric();
    await write(m, [
      { periodStart: '2024-01-01', value: '5' },
      { periodStart: '2024-01-02', value: '1' },
      { periodStart: '2024-01-03', value: '9' },
    ]);
    const month = async (agg: Aggregate) => (await run(m, 'month', agg)).points[0]?.value;
    expect([await month('sum'), await month('min'), await month('max'), await month('last')]).toEqual([
      '15',
      '1',
      '9',
      '9',
    ]);
    // The minimum is corrected upwards: the month's min must come from the others.
    await write(m, [{ periodStart: '2024-01-02', value: '7' }]);
    expect([await month('sum'), await month('min')]).toEqual(['21', '5']);
    // The maximum and the last point are deleted.
    await deletePoints(storage(), actor(), [{ metricId: m.id, path: 'd', periodStart: '2024-01-03' }]);
    expect([await month('sum'), await month('max'), await month('last'), await month('count')]).toEqual([
      '12',
      '7',
      '7',
      '2',
    ]);
    // Revived with a new value.
    await write(m, [{ periodStart: '2024-01-03', value: '2' }]);
    expect([await month('sum'), await month('last'), await month('count')]).toEqual(['14', '2', '3']);
    // Every point deleted: the month disappears.
    await deletePoints(
      storage(),
      actor(),
      ['2024-01-01', '2024-01-02', '2024-01-03'].map((d) => ({ metricId: m.id, path: 'd', periodStart: d })),
    );
    expect((await run(m, 'month', 'sum')).points).toEqual([]);
  });

  it('reads as_of exactly: the values as they were', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    await write(m, [
      { periodStart: '2024-01-01', value: '10', coordinates: { region: 'EU' } },
      { periodStart: '2024-01-02', value: '20', coordinates: { region: 'US' } },
    ]);
    await new Promise((r) => setTimeout(r, 5));
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await write(m, [{ periodStart: '2024-01-01', value: '15', coordinates: { region: 'EU' } }]);
    await deletePoints(storage(), actor(), [
      { metricId: m.id, path: 'd', periodStart: '2024-01-02', coordinates: { region: 'US' } },
    ]);
    expect((await run(m, 'month', 'sum')).points[0].value).toBe('15');
    expect((await run(m, 'month', 'sum', { asOf: between })).points[0].value).toBe('30');
    const grouped = await run(m, 'month', 'sum', { asOf: between, groupBy: 'region' });
    expect(grouped.groups?.map((g) => [g.member, g.value])).toEqual([
      ['US', '20'],
      ['EU', '10'],
    ]);
    expect((await run(m, 'day', 'sum', { asOf: between, coordinates: { region: 'EU' } })).points).toEqual([
      { period_start: '2024-01-01', value: '10', count: 1 },
    ]);
  });

  it('breaks down by a dimension: the top N by the aggregate, the rest as "other"', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }, { name: 'channel' }] });
    const points: Written[] = [];
    // Member i has value i on each of two days, in two channels.
    for (let i = 1; i <= 12; i++) {
      for (const day of ['2024-01-01', '2024-02-01'])
        for (const channel of ['web', 'shop'])
          points.push({ periodStart: day, value: String(i), coordinates: { region: `r${i}`, channel } });
    }
    await write(m, points);
    const res = await run(m, 'month', 'sum', { groupBy: 'region', top: 3 });
    expect(res.group_by).toBe(m.dimensions[0].id);
    expect(res.groups?.map((g) => [g.member, g.other, g.members, g.value, g.count])).toEqual([
      ['r12', false, 1, '48', 4],
      ['r11', false, 1, '44', 4],
      ['r10', false, 1, '40', 4],
      [null, true, 9, String(4 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9)), 36],
    ]);
    expect(res.groups?.[0].points).toEqual([
      { period_start: '2024-01-01', value: '24', count: 2 },
      { period_start: '2024-02-01', value: '24', count: 2 },
    ]);
    // The groups add up to the whole.
    expect(res.points.map((p) => p.value)).toEqual(['156', '156']);
    // A filter on another dimension, breakdown by id, daily.
    const web = await run(m, 'day', 'max', {
      groupBy: m.dimensions[0].id,
      top: 1,
      coordinates: { channel: 'web' },
    });
    expect(web.groups?.map((g) => [g.member, g.value, g.members])).toEqual([
      ['r12', '12', 1],
      [null, '11', 11],
    ]);
    await expect(run(m, 'month', 'sum', { groupBy: 'nope' })).rejects.toBeInstanceOf(Invalid);
  });

  it('ranks breakdowns from year rows exactly as the points say, for any points, range and aggregate (property)', async () => {
    // Points over four years, two channels per member: a member is several coordinates keys.
    const date = fc
      .date({
        min: new Date('2018-11-20T00:00:00Z'),
        max: new Date('2021-02-10T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 10));
    const point = fc.record({
      periodStart: date,
      value: fc.integer({ min: -500, max: 500 }).map(String),
      region: fc.constantFrom('EU', 'US', 'APAC'),
      channel: fc.constantFrom('web', 'shop'),
    });
    // No range, whole years, ranges cutting years and months at both ends.
    const ranges: { from?: string; to?: string }[] = [
      {},
      { from: '2019-01-01', to: '2020-12-31' },
      { from: '2019-03-15', to: '2020-11-20' },
      { from: '2018-12-01', to: '2021-01-31' },
      { from: '2019-02-01', to: '2019-11-30' },
    ];
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(point, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        async (raw, r, top) => {
          round++;
          const byId = new Map(raw.map((p) => [`${p.periodStart}/${p.region}/${p.channel}`, p]));
          const points = [...byId.values()];
          const m = await metric({
            name: `B${round}`,
            dimensions: [{ name: 'region' }, { name: 'channel' }],
          });
          await write(
            m,
            points.map((p) => ({
              periodStart: p.periodStart,
              value: p.value,
              coordinates: { region: p.region, channel: p.channel },
            })),
          );
          const range = ranges[r];
          const inRange = points.filter(
            (p) =>
              (range.from === undefined || p.periodStart >= range.from) &&
              (range.to === undefined || p.periodStart <= range.to),
          );
          // What the points say, ordered as first and last order them (by period, then coordinates key).
          const keyed = inRange.map((p) => ({
            ...p,
            member: JSON.stringify([p.region, p.channel]), // the coordinates key: members in dimension order
          }));
          for (const g of ['month', 'quarter', 'year'] as const) {
            for (const agg of AGGREGATES) {
              const got = await run(m, g, agg, { ...range, groupBy: 'region', top });
              const members = [...new Set(inRange.map((p) => p.region))].map((region) => {
                const mine = keyed.filter((p) => p.region === region);
                const all = aggregate(
                  agg,
                  [...mine]
                    .sort((a, b) =>
                      `${a.periodStart}/${a.member}` < `${b.periodStart}/${b.member}` ? -1 : 1,
                    )
                    .map((p) => p.value),
                );
                return {
                  region,
                  mine,
                  value: all,
                  count: mine.length,
                  score: agg === 'count' ? mine.length : Number(all),
                };
              });
              members.sort((a, b) => b.score - a.score || (a.region < b.region ? -1 : 1));
              const want: SeriesGroup[] = members.slice(0, top).map((x) => ({
                member: x.region,
                other: false,
                members: 1,
                value: x.value,
                count: x.count,
                points: expected(x.mine, g, agg),
              }));
              const rest = members.slice(top);
              if (rest.length > 0) {
                const restPoints = rest.flatMap((x) => x.mine);
                const sorted = [...restPoints].sort((a, b) =>
                  `${a.periodStart}/${a.member}` < `${b.periodStart}/${b.member}` ? -1 : 1,
                );
                want.push({
                  member: null,
                  other: true,
                  members: rest.length,
                  value: aggregate(
                    agg,
                    sorted.map((p) => p.value),
                  ),
                  count: restPoints.length,
                  points: expected(restPoints, g, agg),
                });
              }
              expect(got.groups, `${g} ${agg} top=${top} ${JSON.stringify(range)}`).toEqual(want);
              expect(got.points).toEqual(expected(keyed, g, agg));
            }
          }
        },
      ),
      { numRuns: 10 },
    );
  });

  it('ranks a range cut at months and years from its pieces: days, months and whole years', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    // A's points lie in the whole year 2020; B's in the cut months at either end; C's in
    // whole months outside the whole year; D's before and after the range.
    await write(m, [
      at('2020-06-01', '10', 'A'),
      at('2019-11-20', '6', 'B'),
      at('2021-02-03', '6', 'B'),
      at('2019-12-05', '5', 'C'),
      at('2021-01-31', '6', 'C'),
      at('2019-11-14', '100', 'D'),
      at('2021-02-04', '100', 'D'),
    ]);
    const res = await run(m, 'month', 'sum', {
      from: '2019-11-15',
      to: '2021-02-03',
      groupBy: 'region',
      top: 2,
    });
    expect(res.groups?.map((g) => [g.member, g.value, g.count])).toEqual([
      ['B', '12', 2],
      ['C', '11', 2],
      [null, '10', 1],
    ]);
  });

  it('keeps year rows right through corrections, deletes and a member losing its last point of a year', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    // EU leads only over the whole of 2023 (two months of it), US in any one month.
    await write(m, [
      at('2023-03-01', '10', 'EU'),
      at('2023-09-01', '10', 'EU'),
      at('2023-07-01', '15', 'US'),
      at('2024-02-01', '1', 'EU'),
      at('2024-02-01', '2', 'APAC'),
    ]);
    const groups = async () =>
      (await run(m, 'year', 'sum', { groupBy: 'region', top: 1 })).groups?.map((g) => [
        g.member,
        g.value,
        g.points.map((p) => `${p.period_start}=${p.value}`).join(' '),
      ]);
    expect(await groups()).toEqual([
      ['EU', '21', '2023-01-01=20 2024-01-01=1'],
      [null, '17', '2023-01-01=15 2024-01-01=2'],
    ]);
    // US overtakes EU by a correction in 2023: the ranking reads 2023's year rows, recomputed.
    await write(m, [at('2023-07-01', '50', 'US')]);
    expect(await groups()).toEqual([
      ['US', '50', '2023-01-01=50'],
      [null, '23', '2023-01-01=20 2024-01-01=3'],
    ]);
    // US's only point goes, and with it its year row.
    await deletePoints(storage(), actor(), [
      { metricId: m.id, path: 'd', periodStart: '2023-07-01', coordinates: { region: 'US' } },
    ]);
    expect(await groups()).toEqual([
      ['EU', '21', '2023-01-01=20 2024-01-01=1'],
      [null, '2', '2024-01-01=2'],
    ]);
  });

  it('keeps rollups for a metric with no data, text values and a changed value type', async () => {
    const empty = await metric();
    expect((await run(empty, 'month', 'sum')).points).toEqual([]);
    const text = await metric({ value_type: 'text' });
    await write(text, [
      { periodStart: '2024-01-01', value: '3' },
      { periodStart: '2024-01-02', value: 'x' },
    ]);
    expect((await run(text, 'month', 'count')).points[0].value).toBe('2');
    expect((await run(text, 'month', 'last')).points[0].value).toBe('x');
    await expect(run(text, 'month', 'sum')).rejects.toBeInstanceOf(Invalid);
    const numbers = await metric({ value_type: 'text' });
    await write(numbers, [
      { periodStart: '2024-01-01', value: '3' },
      { periodStart: '2024-01-02', value: '4' },
    ]);
    await refreshMetric(storage(), ctx().orgA.id, numbers.id);
    await updateMetric(storage(), actor(), numbers.id, { value_type: 'number' });
    expect((await run(numbers, 'month', 'sum')).points[0].value).toBe('7');
    // A month holding a value that is no number has no sum (read packed, it is an empty field).
    await refreshMetric(storage(), ctx().orgA.id, text.id);
    await updateMetric(storage(), actor(), text.id, { value_type: 'number' });
    await expect(run(text, 'month', 'sum')).rejects.toBeInstanceOf(Invalid);
    expect((await run(text, 'year', 'count')).points[0].value).toBe('2');
  });

  it('breaks down points written before the metric had dimensions as member null', async () => {
    const m = await metric();
    await write(m, [{ periodStart: '2024-01-01', value: '5' }]);
    expect((await run(m, 'month', 'sum')).points[0].value).toBe('5');
    await updateMetric(storage(), actor(), m.id, { dimensions: [{ name: 'region' }] });
    await write(m, [{ periodStart: '2024-02-01', value: '6', coordinates: { region: 'EU' } }]);
    const res = await run(m, 'month', 'sum', { groupBy: 'region' });
    expect(res.groups?.map((g) => [g.member, g.value])).toEqual([
      ['EU', '6'],
      [null, '5'],
    ]);
    expect(res.points.map((p) => p.value)).toEqual(['5', '6']);
  });

  it('refreshes a month as it is when its refresh runs, not as it was when the mark was taken', async () => {
    const m = await metric();
    await write(m, [{ periodStart: '2024-01-01', value: '1' }]);
    const [seen] = await storage().rollupMarks(ctx().orgA.id, [m.id]);
    expect(seen.month).toBe('2024-01-01');
    // A write after the mark was taken gives the month a mark of its own, a new version…
    await write(m, [{ periodStart: '2024-01-02', value: '2' }]);
    const marks = await storage().rollupMarks(ctx().orgA.id, [m.id]);
    expect(marks.map((k) => k.month)).toEqual(['2024-01-01', '2024-01-01']);
    expect(marks.map((k) => k.version)).toContain(seen.version);
    const bumped = marks.find((k) => k.version !== seen.version);
    if (!bumped) throw new Error('no mark of a new version');
    // …and a refresh working from the old mark reads the month's marks again under the
    // refresh lock: it recomputes the month with both points and clears every mark it read.
    await refreshMonth(storage(), seen);
    expect(await storage().rollupMarks(ctx().orgA.id, [m.id])).toEqual([]);
    const [rollup] = await storage().readRollups(ctx().orgA.id, m.id, { level: 'month', columns: ['sum'] });
    expect(rollup).toMatchObject({ bucket: '2024-01-01', count: 2, sum: '3' });
    // A refresh holding a mark another refresh has cleared since finds nothing left to do.
    await refreshMonth(storage(), bumped);
    expect((await run(m, 'month', 'sum')).points[0]).toMatchObject({ value: '3', count: 2 });
  });

  it('recomputes marked months in the background once writes pause', async () => {
    const m = await metric();
    await write(m, [{ periodStart: '2024-01-01', value: '1.5' }]);
    const errors: unknown[] = [];
    const refresher = startRollupRefresher(storage(), {
      intervalMs: 20,
      quietMs: 50,
      batch: 5,
      onError: (e) => errors.push(e),
    });
    try {
      await vi.waitFor(async () => expect(await storage().rollupMarks(ctx().orgA.id, [m.id])).toEqual([]), {
        timeout: 5000,
      });
    } finally {
      await refresher.stop();
    }
    expect(errors).toEqual([]);
    const rows = await storage().readRollups(ctx().orgA.id, m.id, { level: 'month', columns: ['sum'] });
    expect(rows.map((r) => [r.bucket, r.sum, Number(r.count)])).toEqual([['2024-01-01', '1.5', 1]]);
  });

  it('a refresh told to give way stops between chunks: the months not reached stay marked', async () => {
    const m = await metric();
    const months = Array.from({ length: 6 }, (_, i) => ({ periodStart: `2023-0${i + 1}-01`, value: '1' }));
    await write(m, months);
    const marks = await storage().rollupMarks(ctx().orgA.id, [m.id]);
    expect(marks).toHaveLength(6);
    // Asked before the metric and before each chunk: the first chunk (one month) runs, then a write starts.
    let asked = 0;
    await refreshMarks(storage(), marks, () => ++asked > 2);
    const left = await storage().rollupMarks(ctx().orgA.id, [m.id]);
    expect(left.map((k) => k.month)).toEqual(marks.slice(1).map((k) => k.month));
    const rows = await storage().readRollups(ctx().orgA.id, m.id, { level: 'month', columns: ['sum'] });
    expect(rows.map((r) => r.bucket)).toEqual(['2023-01-01']);
  });

  it('brings up to date only the months a read needs, and answers the same as a full refresh', async () => {
    const m = await metric();
    const points: Written[] = [];
    for (let i = 0; i < 30; i++) {
      const month = new Date(Date.UTC(2022, i, 1)).toISOString().slice(0, 10);
      points.push({ periodStart: month, value: String(i + 1) });
    }
    await write(m, points);
    const marked = async () => (await storage().rollupMarks(ctx().orgA.id, [m.id])).map((x) => x.month);
    expect(await marked()).toHaveLength(30);
    // A range reads (and recomputes) its own months only.
    const part = await run(m, 'month', 'sum', { from: '2023-03-01', to: '2023-05-31' });
    expect(part.points.map((p) => p.value)).toEqual(['15', '16', '17']);
    expect(await marked()).toHaveLength(27);
    expect(await marked()).not.toContain('2023-04-01');
    // The whole range then recomputes the rest, several months to a transaction.
    const all = await run(m, 'year', 'sum');
    expect(all.points.map((p) => [p.period_start, p.value])).toEqual([
      ['2022-01-01', '78'],
      ['2023-01-01', '222'],
      ['2024-01-01', '165'],
    ]);
    expect(await marked()).toEqual([]);
  });

  it('never shows one organization the rollups of another', async () => {
    const m = await metric();
    await write(m, [{ periodStart: '2024-01-01', value: '1' }]);
    await expect(series(storage(), ctx().orgB.id, m.id, 'month', 'sum', {})).rejects.toThrow('not found');
    const res = await ctx().call(ctx().orgB.admin, { method: 'GET', url: `/v1/metrics/${m.id}/series` });
    expect(res.statusCode).toBe(404);
  });
});
