import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Invalid } from '../../src/core/errors.ts';
import { createMetric, type Metric, type MetricInput } from '../../src/core/metrics.ts';
import type { PointInput } from '../../src/core/points/point-input.ts';
import { readAllPoints, readPoints } from '../../src/core/points/read.ts';
import { aggregate, series } from '../../src/core/points/series.ts';
import { writePoints } from '../../src/core/points/write.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';

describe('aggregate (exact decimals)', () => {
  it('sums, averages, min, max, last and count without floats', () => {
    expect(aggregate('sum', ['0.1', '0.2'])).toBe('0.3');
    expect(aggregate('sum', ['12345678901234567890.1', '0.02'])).toBe('12345678901234567890.12');
    expect(aggregate('avg', ['1', '2'])).toBe('1.5');
    expect(aggregate('avg', ['0.1', '0.2'])).toBe('0.15');
    // 20 places, then trailing zeros go.
    expect(aggregate('avg', ['1', '0', '0'])).toBe('0.33333333333333333333');
    expect(aggregate('avg', ['2', '0', '0'])).toBe('0.66666666666666666667');
    expect(aggregate('avg', ['-1', '-2'])).toBe('-1.5');
    expect(aggregate('min', ['10', '9.99', '-0.5', '3'])).toBe('-0.5');
    expect(aggregate('max', ['10', '9.99', '100.001', '3'])).toBe('100.001');
    expect(aggregate('last', ['1', '2', '3'])).toBe('3');
    expect(aggregate('count', ['a', 'b'])).toBe('2');
  });
});

describe.each(engines())('reads and series [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const actor = (): Actor => ({ orgId: ctx().orgA.id, actor: 'alice', keyId: 'k', scopes: ['write'] });
  const metric = (input: Partial<MetricInput> = {}): Promise<Metric> =>
    createMetric(createStorage(ctx().store), actor(), null, {
      name: 'Revenue',
      value_type: 'number',
      ...input,
    });
  const write = async (metricId: string, points: Omit<PointInput, 'metricId' | 'path'>[]) =>
    (
      await writePoints(
        createStorage(ctx().store),
        actor(),
        points.map((p, i) => ({ metricId, path: `p[${i}]`, ...p })),
      )
    ).rows;
  const values = async (metricId: string, asOf?: string) =>
    (await readPoints(createStorage(ctx().store), ctx().orgA.id, metricId, { asOf, limit: 100 })).items.map(
      (p) => p.value,
    );

  it('as_of reads the values as they were, whatever the instant’s notation', async () => {
    const m = await metric();
    await write(m.id, [{ periodStart: '2024-01-01', value: '1' }]);
    // Let the second write land in a later second than the first.
    await sleep(1005 - (Date.now() % 1000));
    const [second] = await write(m.id, [{ periodStart: '2024-01-01', value: '2' }]);
    const changed = new Date(second.updated_at);
    expect(await values(m.id)).toEqual(['2']);
    expect(await values(m.id, second.updated_at)).toEqual(['2']);

    // The same instant, just before the second write, written three ways.
    const before = new Date(changed.getTime() - 1);
    const offset = (d: Date, hours: number) => {
      const local = new Date(d.getTime() + hours * 3600_000).toISOString().slice(0, 23);
      return `${local}+${String(hours).padStart(2, '0')}:00`;
    };
    expect(await values(m.id, before.toISOString())).toEqual(['1']);
    expect(await values(m.id, offset(before, 5))).toEqual(['1']);
    // Whole seconds: the second write happened after this second began.
    const wholeSecond = `${changed.toISOString().slice(0, 19)}Z`;
    expect(await values(m.id, wholeSecond)).toEqual(['1']);
    // An instant after the second write, noted with an offset west of UTC.
    const after = new Date(changed.getTime() + 1);
    const west = `${new Date(after.getTime() - 3 * 3600_000).toISOString().slice(0, 23)}-03:00`;
    expect(await values(m.id, west)).toEqual(['2']);
    expect(await values(m.id, '2000-01-01T00:00:00Z')).toEqual([]);
    await expect(values(m.id, 'yesterday')).rejects.toBeInstanceOf(Invalid);
  });

  it('reads filter by period range and by coordinates given by dimension id or name', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    await write(m.id, [
      { periodStart: '2024-01-01', value: '1', coordinates: { region: 'EU' } },
      { periodStart: '2024-02-01', value: '2', coordinates: { region: 'EU' } },
      { periodStart: '2024-02-01', value: '3', coordinates: { region: 'US' } },
    ]);
    const read = async (q: object) =>
      (await readAllPoints(createStorage(ctx().store), ctx().orgA.id, m.id, q)).map((p) => p.value).sort();
    expect(await read({ from: '2024-02-01' })).toEqual(['2', '3']);
    expect(await read({ to: '2024-01-31' })).toEqual(['1']);
    expect(await read({ coordinates: { region: 'EU' } })).toEqual(['1', '2']);
    expect(await read({ coordinates: { [m.dimensions[0].id]: 'US' } })).toEqual(['3']);
    // Another organization reads nothing of it.
    await expect(readPoints(createStorage(ctx().store), ctx().orgB.id, m.id, { limit: 10 })).rejects.toThrow(
      'not found',
    );
  });

  it('buckets by week (Monday), month, quarter and year; a point counts where its period starts', async () => {
    const m = await metric();
    await write(m.id, [
      { periodStart: '2023-12-31', value: '0.1' }, // a Sunday: the week of Monday 2023-12-25
      { periodStart: '2024-01-01', value: '0.2' }, // a Monday
      { periodStart: '2024-01-07', value: '0.3' }, // the Sunday of that week
      { periodStart: '2024-03-31', periodEnd: '2024-04-30', value: '1' },
      { periodStart: '2024-04-01', value: '2' },
      { periodStart: '2024-12-31', value: '3' },
      { periodStart: '2024-06-01', value: null }, // blank: left out
    ]);
    const run = async (g: 'week' | 'month' | 'quarter' | 'year', agg: 'sum' | 'count' = 'sum') =>
      (await series(createStorage(ctx().store), ctx().orgA.id, m.id, g, agg, {})).points.map((p) => [
        p.period_start,
        p.value,
        p.count,
      ]);
    expect(await run('week')).toEqual([
      ['2023-12-25', '0.1', 1],
      ['2024-01-01', '0.5', 2],
      ['2024-03-25', '1', 1],
      ['2024-04-01', '2', 1],
      ['2024-12-30', '3', 1],
    ]);
    expect(await run('month')).toEqual([
      ['2023-12-01', '0.1', 1],
      ['2024-01-01', '0.5', 2],
      ['2024-03-01', '1', 1],
      ['2024-04-01', '2', 1],
      ['2024-12-01', '3', 1],
    ]);
    expect(await run('quarter')).toEqual([
      ['2023-10-01', '0.1', 1],
      ['2024-01-01', '1.5', 3],
      ['2024-04-01', '2', 1],
      ['2024-10-01', '3', 1],
    ]);
    expect(await run('year')).toEqual([
      ['2023-01-01', '0.1', 1],
      ['2024-01-01', '6.5', 5],
    ]);
    expect(await run('year', 'count')).toEqual([
      ['2023-01-01', '1', 1],
      ['2024-01-01', '5', 5],
    ]);
  });

  it('`last` is the value of the latest period in the bucket, whatever the write order', async () => {
    const m = await metric();
    await write(m.id, [
      { periodStart: '2024-03-01', value: '30' },
      { periodStart: '2024-01-01', value: '10' },
      { periodStart: '2024-02-01', value: '20' },
    ]);
    // A month period and a day period starting the same day: the longer one ends last.
    await write(m.id, [{ periodStart: '2024-04-01', periodEnd: '2024-04-30', value: '45' }]);
    await write(m.id, [{ periodStart: '2024-04-01', value: '41' }]);
    const last = await series(createStorage(ctx().store), ctx().orgA.id, m.id, 'quarter', 'last', {});
    expect(last.points.map((p) => [p.period_start, p.value])).toEqual([
      ['2024-01-01', '30'],
      ['2024-04-01', '45'],
    ]);
    const avg = await series(createStorage(ctx().store), ctx().orgA.id, m.id, 'year', 'avg', {});
    expect(avg.points[0].value).toBe('29.2');
  });

  it('only count rolls up a non-numeric metric', async () => {
    const m = await metric({ value_type: 'text' });
    await write(m.id, [{ periodStart: '2024-01-01', value: 'hello' }]);
    await expect(
      series(createStorage(ctx().store), ctx().orgA.id, m.id, 'month', 'sum', {}),
    ).rejects.toBeInstanceOf(Invalid);
    const count = await series(createStorage(ctx().store), ctx().orgA.id, m.id, 'month', 'count', {});
    expect(count.points).toEqual([{ period_start: '2024-01-01', value: '1', count: 1 }]);
  });
});

describe.each(engines())('native read ranges [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it('a from/to that is no calendar date is a 400 naming it, on both engines (PostgreSQL answered 500)', async () => {
    const created = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/metrics',
      payload: { name: 'Revenue', value_type: 'number' },
    });
    const m = created.json().id as string;
    for (const url of [
      `/v1/metrics/${m}/data_points?from=abc`,
      `/v1/metrics/${m}/data_points?to=2024-02-30`,
      `/v1/metrics/${m}/series?to=2024-13-01`,
      `/v1/metrics/${m}/series?from=2024-1-1`,
    ]) {
      const res = await ctx().call(ctx().orgA.read, { method: 'GET', url });
      const field = url.includes('from=') ? 'from' : 'to';
      expect(
        expectProblem(res, 400).errors.map((e) => e.field),
        url,
      ).toEqual([field]);
    }
    const ok = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/v1/metrics/${m}/series?from=2024-02-29&to=2024-12-31`,
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});
