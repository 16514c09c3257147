import { describe, expect, it } from 'vitest';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem, putPoints } from '../helpers/native.ts';

// GET /v1/datasets/{id}/summary: a page of KPI cards in one call, on both engines.

describe.each(engines())('dataset summary [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const dataset = async (metrics: object[]) => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      payload: { name: `Cards ${Math.random()}`, metrics },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; metrics: { id: string; name: string }[] };
  };
  const put = (metricId: string, points: object[]) => putPoints(ctx(), metricId, points);
  const summary = (id: string, query = '', key = ctx().orgA.read) =>
    ctx().call(key, { method: 'GET', url: `/v1/datasets/${id}/summary${query}` });
  const card = async (id: string, name: string, query = '') => {
    const res = await summary(id, query);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().items as { name: string }[]).find((c) => c.name === name) as Record<string, unknown>;
  };

  it('summarizes every metric: latest, previous, change, sparkline and the last change', async () => {
    const d = await dataset([
      {
        name: 'Revenue',
        value_type: 'currency',
        unit: 'EUR',
        frequency: 'monthly',
        dimensions: [{ name: 'region' }],
      },
      { name: 'Empty', value_type: 'number' },
      { name: 'Single', value_type: 'number', frequency: 'quarterly' },
      { name: 'Margin', value_type: 'percentage', frequency: 'monthly', dimensions: [{ name: 'region' }] },
      { name: 'Status', value_type: 'text', frequency: 'daily' },
    ]);
    const id = (name: string) => d.metrics.find((m) => m.name === name)?.id as string;
    await put(id('Revenue'), [
      { date: '2024-01-15', value: '100', coordinates: { region: 'EU' } },
      { date: '2024-03-10', value: '150', coordinates: { region: 'EU' } },
      { date: '2024-03-20', value: '50.5', coordinates: { region: 'US' } },
      { date: '2024-04-01', value: '0.1', coordinates: { region: 'EU' } },
      { date: '2024-04-02', value: '0.2', coordinates: { region: 'US' } },
    ]);
    await put(id('Single'), [{ date: '2024-05-05', value: '7' }]);
    await put(id('Margin'), [
      { date: '2024-03-01', value: '10', coordinates: { region: 'EU' } },
      { date: '2024-03-01', value: '20', coordinates: { region: 'US' } },
      { date: '2024-04-01', value: '30', coordinates: { region: 'EU' } },
    ]);
    await put(id('Status'), [
      { date: '2024-06-01', value: 'green' },
      { date: '2024-06-02', value: 'amber' },
    ]);

    const revenue = await card(d.id, 'Revenue', '?periods=4');
    expect(revenue).toMatchObject({
      metric_id: id('Revenue'),
      unit: 'EUR',
      granularity: 'month',
      agg: 'sum',
      latest: { period_start: '2024-04-01', value: '0.3', count: 2 },
      previous: { period_start: '2024-03-01', value: '200.5' },
      change: { absolute: '-200.2', percent: '-99.85' },
      sparkline: [
        { period_start: '2024-01-01', value: '100' },
        { period_start: '2024-02-01', value: null },
        { period_start: '2024-03-01', value: '200.5' },
        { period_start: '2024-04-01', value: '0.3' },
      ],
      last_write_by: expect.any(String),
    });
    expect(Date.parse(revenue.last_write_at as string)).toBeGreaterThan(Date.now() - 60_000);

    expect(await card(d.id, 'Empty')).toMatchObject({
      latest: null,
      previous: null,
      change: null,
      sparkline: [],
      last_write_at: null,
    });
    const single = await card(d.id, 'Single', '?periods=3');
    expect(single).toMatchObject({
      granularity: 'quarter',
      latest: { period_start: '2024-04-01', value: '7', count: 1 },
      previous: { period_start: '2024-01-01', value: null },
      change: null,
      sparkline: [
        { period_start: '2023-10-01', value: null },
        { period_start: '2024-01-01', value: null },
        { period_start: '2024-04-01', value: '7' },
      ],
    });
    // Percentages average; a text metric shows its last value and no change.
    expect(await card(d.id, 'Margin')).toMatchObject({
      agg: 'avg',
      latest: { value: '30' },
      previous: { value: '15' },
      change: { absolute: '15', percent: '100' },
    });
    expect(await card(d.id, 'Status')).toMatchObject({
      granularity: 'day',
      agg: 'last',
      latest: { period_start: '2024-06-02', value: 'amber' },
      previous: { period_start: '2024-06-01', value: 'green' },
      change: null,
    });
    // One aggregate for all cards.
    expect(await card(d.id, 'Revenue', '?agg=count')).toMatchObject({
      agg: 'count',
      latest: { value: '2' },
      previous: { value: '2' },
      change: { absolute: '0', percent: '0' },
    });
  });

  it('shows a correction and a delete at once, and pages through many metrics', async () => {
    const metrics = Array.from({ length: 5 }, (_, i) => ({ name: `M${i}`, value_type: 'number' }));
    const d = await dataset(metrics);
    await put(d.metrics[0].id, [{ date: '2024-01-01', value: '1' }]);
    expect(((await card(d.id, 'M0')).latest as { value: string }).value).toBe('1');
    await put(d.metrics[0].id, [{ date: '2024-01-01', value: '2' }]);
    expect(((await card(d.id, 'M0')).latest as { value: string }).value).toBe('2');
    const del = await ctx().call(ctx().orgA.write, {
      method: 'DELETE',
      url: `/v1/metrics/${d.metrics[0].id}/data_points?date=2024-01-01`,
    });
    expect(del.statusCode, del.body).toBeLessThan(300);
    const gone = await card(d.id, 'M0');
    expect(gone.latest).toBeNull();
    expect(gone.last_write_at).not.toBeNull(); // the delete was the last change

    const first = (await summary(d.id, '?limit=2')).json();
    expect(first.items).toHaveLength(2);
    const rest = (await summary(d.id, `?limit=10&cursor=${first.next_cursor}`)).json();
    expect(rest.items).toHaveLength(3);
    expect(rest.next_cursor).toBeNull();
  });

  it('recomputes only the months the cards show, and moves back when the latest month goes', async () => {
    const d = await dataset([{ name: 'Long', value_type: 'number', frequency: 'monthly' }]);
    const m = d.metrics[0].id;
    const points = Array.from({ length: 36 }, (_, i) => ({
      date: new Date(Date.UTC(2021, i, 1)).toISOString().slice(0, 10),
      value: String(i + 1),
    }));
    await put(m, points);
    const marks = async () => (await createStorage(ctx().store).rollupMarks(ctx().orgA.id, [m])).length;
    const first = await card(d.id, 'Long', '?periods=3');
    expect(first).toMatchObject({
      latest: { period_start: '2023-12-01', value: '36' },
      previous: { period_start: '2023-11-01', value: '35' },
      sparkline: [
        { period_start: '2023-10-01', value: '34' },
        { period_start: '2023-11-01', value: '35' },
        { period_start: '2023-12-01', value: '36' },
      ],
    });
    // The older months wait for the background or for a read that needs them.
    expect(await marks()).toBeGreaterThan(20);
    const del = await ctx().call(ctx().orgA.write, {
      method: 'DELETE',
      url: `/v1/metrics/${m}/data_points?date=2023-12-01`,
    });
    expect(del.statusCode, del.body).toBe(204);
    expect(await card(d.id, 'Long', '?periods=3')).toMatchObject({
      latest: { period_start: '2023-11-01', value: '35' },
      previous: { period_start: '2023-10-01', value: '34' },
      change: { absolute: '1', percent: '2.94' },
    });
  });

  it('refuses bad parameters with a problem and changes nothing; another organization gets 404', async () => {
    const d = await dataset([{ name: 'Revenue', value_type: 'number' }]);
    for (const q of ['?periods=0', '?periods=101', '?agg=median', '?limit=201', '?colour=red']) {
      expectProblem(await summary(d.id, q), 400);
    }
    expectProblem(await summary(d.id, '', ctx().orgB.admin), 404);
    expectProblem(await summary('00000000-0000-4000-8000-000000000000'), 404);
  });
});
