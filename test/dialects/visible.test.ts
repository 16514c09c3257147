import { describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { countRows } from '../helpers/rows.ts';

const seedBody = {
  data_points: [
    { date: '2019-01-01', value: '10.99' },
    { date: '2019-02-01', value: '20.99' },
  ],
};

describe.each(engines())('Visible dialect [%s]', (engine) => {
  const ctx = useTestContext(engine);

  const createMetric = async (
    key = ctx().orgA.write,
    body: object = { name: 'MRR', frequency: 'monthly', unit: 'USD' },
  ) => {
    const res = await ctx().call(key, { method: 'POST', url: '/metrics', payload: body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().metric as { id: string; unit: string };
  };
  // The seed's curl: PUT with `Authorization: Bearer $ACCESS_TOKEN` and a JSON body.
  const put = (metricId: string, body: unknown, key: string | null = ctx().orgA.write) =>
    ctx().call(key, {
      method: 'PUT',
      url: `/metrics/${metricId}/data_points`,
      headers: { 'content-type': 'application/json' },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const stored = async (metricId?: string) => {
    let q = ctx().store.db.selectFrom('data_points').select(['id', 'value', 'period_start']);
    if (metricId) q = q.where('metric_id', '=', metricId);
    return q.orderBy('period_start').execute();
  };
  const revisionCount = () => countRows(ctx().store, 'point_revisions');

  it('answers the seed curl sample with the documented body, in request order', async () => {
    const metric = await createMetric();
    const res = await put(metric.id, seedBody);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.data_points).toHaveLength(2);
    expect(body.data_points.map((p: object) => Object.keys(p).sort())).toEqual([
      ['date', 'id', 'metric_id', 'value'],
      ['date', 'id', 'metric_id', 'value'],
    ]);
    expect(body.data_points[0]).toMatchObject({ date: '2019-01-01', value: '10.99', metric_id: metric.id });
    expect(body.data_points[1]).toMatchObject({ date: '2019-02-01', value: '20.99', metric_id: metric.id });
    expect(body.data_points[0].id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('upserts by (metric, date): a second PUT updates the value, keeps the id and adds a revision', async () => {
    const metric = await createMetric();
    const first = (await put(metric.id, seedBody)).json();
    const revisionsBefore = await revisionCount();
    const second = await put(metric.id, { data_points: [{ date: '2019-01-01', value: '11.50' }] });
    expect(second.json().data_points[0]).toEqual({
      id: first.data_points[0].id,
      date: '2019-01-01',
      value: '11.5',
      metric_id: metric.id,
    });
    expect(await stored(metric.id)).toHaveLength(2);
    expect(await revisionCount()).toBe(revisionsBefore + 1);
    // The same value again changes nothing and writes no revision.
    await put(metric.id, { data_points: [{ date: '2019-01-01', value: '11.5' }] });
    expect(await revisionCount()).toBe(revisionsBefore + 1);
  });

  it('keeps decimals exact: no float round trip', async () => {
    const metric = await createMetric();
    const res = await put(metric.id, {
      data_points: [{ date: '2020-01-01', value: '12345678901234567890.123456789012345678' }],
    });
    expect(res.json().data_points[0].value).toBe('12345678901234567890.123456789012345678');
  });

  it('51 points → 400 parameter_invalid, nothing stored', async () => {
    const metric = await createMetric();
    const body = {
      data_points: Array.from({ length: 51 }, (_, i) => ({
        date: `2020-01-${String((i % 28) + 1).padStart(2, '0')}`,
        value: '1',
      })),
    };
    const res = await put(metric.id, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({
      type: 'parameter_invalid',
      field: 'data_points',
      message: expect.any(String),
    });
    expect(await stored(metric.id)).toHaveLength(0);
  });

  it('malformed JSON and wrong shapes → 400 parameter_invalid, nothing stored', async () => {
    const metric = await createMetric();
    const bad = await put(metric.id, '{"data_points": [');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].type).toBe('parameter_invalid');
    const shape = await put(metric.id, { data_points: [{ date: '2020-01-01', value: { amount: 1 } }] });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().errors[0]).toMatchObject({
      type: 'parameter_invalid',
      field: 'data_points[0].value',
    });
    expect(await stored(metric.id)).toHaveLength(0);
  });

  it('a missing value → 422 attribute_invalid "required", as in the seed example; nothing stored', async () => {
    const metric = await createMetric();
    const res = await put(metric.id, {
      data_points: [{ date: '2020-01-01', value: '1' }, { date: '2020-01-02' }],
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      errors: [{ type: 'attribute_invalid', field: 'data_points[1].value', message: 'required' }],
    });
    expect(await stored(metric.id)).toHaveLength(0);
  });

  it('a bad value → 422 attribute_invalid naming data_points[3].value, nothing stored', async () => {
    const metric = await createMetric();
    const points = [0, 1, 2, 3].map((i) => ({ date: `2021-0${i + 1}-01`, value: i === 3 ? 'ten' : '1.5' }));
    const res = await put(metric.id, { data_points: points });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      errors: [{ type: 'attribute_invalid', field: 'data_points[3].value', message: expect.any(String) }],
    });
    expect(await stored(metric.id)).toHaveLength(0);
  });

  it('a bad date → 422 naming data_points[1].date, nothing stored', async () => {
    const metric = await createMetric();
    const res = await put(metric.id, {
      data_points: [
        { date: '2021-01-01', value: '1' },
        { date: '2021-02-30', value: '2' },
      ],
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([
      { type: 'attribute_invalid', field: 'data_points[1].date', message: expect.any(String) },
    ]);
    expect(await stored(metric.id)).toHaveLength(0);
  });

  it('unknown metric, malformed id, or one of another organization → 404 record_missing; no key → 401', async () => {
    const theirs = await createMetric(ctx().orgB.admin);
    const before = await stored();
    for (const id of ['0191e0c4-0000-7000-8000-000000000000', 'not-a-uuid', theirs.id]) {
      const res = await put(id, seedBody);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ errors: [{ type: 'record_missing' }] });
    }
    const mine = await createMetric();
    const none = await put(mine.id, seedBody, null);
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ errors: [{ type: 'unauthorized' }] });
    const readOnly = await put(mine.id, seedBody, ctx().orgA.read);
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json().errors[0].type).toBe('forbidden');
    expect(await stored()).toEqual(before);
  });

  it('concurrent PUTs are each all or nothing: one bad request fails alone', async () => {
    const metric = await createMetric();
    const requests = Array.from({ length: 12 }, (_, i) =>
      put(metric.id, {
        data_points: [
          { date: `2022-01-${String(i + 1).padStart(2, '0')}`, value: String(i) },
          { date: `2022-02-${String(i + 1).padStart(2, '0')}`, value: i === 5 ? 'bad' : String(i) },
        ],
      }),
    );
    const answers = await Promise.all(requests);
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map((_, i) => (i === 5 ? 422 : 200)));
    expect(answers[5].json().errors[0].field).toBe('data_points[1].value');
    const dates = (await stored(metric.id)).map((r) => r.period_start);
    expect(dates).toHaveLength(22);
    expect(dates).not.toContain('2022-01-06');
  });

  it('GET /data_points pages one or several metrics, filters dates and blanks', async () => {
    const a = await createMetric();
    const b = await createMetric(undefined, { name: 'Churn', unit: 'percent' });
    expect(b.unit).toBe('percent');
    await put(a.id, seedBody);
    await put(b.id, { data_points: [{ date: '2019-01-01', value: '.2' }] });
    const both = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/data_points?metric_id=${a.id},${b.id}&page_size=2`,
    });
    expect(both.statusCode, both.body).toBe(200);
    expect(both.json().meta).toEqual({ page: 1, total: 3, total_pages: 2 });
    expect(both.json().data_points).toHaveLength(2);
    const ranged = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/data_points?metric_id=${a.id}&metric_id=${b.id}&start_date=2019-01-15&end_date=2019-12-31`,
    });
    expect(ranged.json().data_points).toEqual([
      { id: expect.any(String), date: '2019-02-01', value: '20.99', metric_id: a.id },
    ]);
    const percent = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/data_points?metric_id=${b.id}`,
    });
    expect(percent.json().data_points[0].value).toBe('0.2');
    const foreign = await ctx().call(ctx().orgB.admin, {
      method: 'GET',
      url: `/data_points?metric_id=${a.id}`,
    });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).not.toContain('20.99');
  });

  it('GET /data_points naming no metric (metric_id= or metric_id=,) is a 400 naming the field', async () => {
    for (const query of ['metric_id=', 'metric_id=,', 'metric_id=%20&page=1&exclude_blank=true']) {
      const res = await ctx().call(ctx().orgA.read, { method: 'GET', url: `/data_points?${query}` });
      expect(res.statusCode, `${query}: ${res.body}`).toBe(400);
      expect(res.json()).toEqual({
        errors: [{ type: 'parameter_invalid', field: 'metric_id', message: 'names no metric' }],
      });
    }
  });

  it('GET /metrics lists the organization’s metrics; anonymous GET /metrics is the Prometheus exposition', async () => {
    const m = await createMetric();
    const mine = await ctx().call(ctx().orgA.read, { method: 'GET', url: '/metrics?page_size=100' });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().metrics.map((x: { id: string }) => x.id)).toContain(m.id);
    const theirs = await ctx().call(ctx().orgB.admin, { method: 'GET', url: '/metrics?page_size=100' });
    expect(theirs.json().metrics.map((x: { id: string }) => x.id)).not.toContain(m.id);
    const prom = await ctx().app.inject({ method: 'GET', url: '/metrics' });
    expect(prom.statusCode).toBe(200);
    expect(prom.body).toContain('kpihub_http_requests_total');
  });

  it('POST /metrics validates frequency and unit (400, nothing stored)', async () => {
    const count = () => countRows(ctx().store, 'metrics');
    const before = await count();
    for (const body of [
      { name: 'x', frequency: 'hourly' },
      { name: 'x', unit: 'dollars' },
      { name: 'x', unit: 'QQQ' },
    ]) {
      const res = await ctx().call(ctx().orgA.write, { method: 'POST', url: '/metrics', payload: body });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].type).toBe('parameter_invalid');
    }
    const qqq = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/metrics',
      payload: { name: 'x', unit: 'QQQ' },
    });
    expect(qqq.json()).toEqual({
      errors: [
        {
          type: 'parameter_invalid',
          field: 'unit',
          message: 'must be number, percent or an ISO-4217 currency code',
        },
      ],
    });
    const noName = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/metrics',
      payload: { frequency: 'daily' },
    });
    expect(noName.statusCode).toBe(422);
    expect(noName.json()).toEqual({
      errors: [{ type: 'attribute_invalid', field: 'name', message: 'required' }],
    });
    expect(await count()).toBe(before);
    for (const unit of ['USD', 'EUR'])
      expect((await createMetric(undefined, { name: unit, unit })).unit).toBe(unit);
    expect(await count()).toBe(before + 2);
  });
});

describe.each(engines())('Visible rate limit [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_VENDOR_RATE_LIMITS: 'true' });

  it('applies Visible’s 300 requests per 5 minutes per token, with RateLimit headers and a 429 body', async () => {
    let last = await ctx().call(ctx().orgA.read, { method: 'GET', url: '/metrics' });
    expect(last.headers['ratelimit-limit']).toBe('300');
    for (let i = 0; i < 300 && last.statusCode !== 429; i++) {
      last = await ctx().call(ctx().orgA.read, { method: 'GET', url: '/metrics' });
    }
    expect(last.statusCode).toBe(429);
    expect(last.json()).toEqual({ errors: [{ type: 'rate_limit_exceeded' }] });
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    // Another key has its own budget.
    const other = await ctx().call(ctx().orgA.write, { method: 'GET', url: '/metrics' });
    expect(other.statusCode).toBe(200);
  });
});
