import { beforeAll, describe, expect, it } from 'vitest';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem, walkPages } from '../helpers/native.ts';

// The native reads of analytics data: entities (paged, and one with links and history),
// events (filtered, cursor-paged) and event counts as a series.

const batch = [
  { type: 'account', accountId: 'A1', traits: { name: 'Acme' } },
  { type: 'account', accountId: 'A2', traits: { name: 'Globex' } },
  {
    type: 'user',
    userId: 'u1',
    accountId: 'A1',
    traits: { plan: 'free' },
    timestamp: '2024-01-01T00:00:00Z',
  },
  { type: 'user', userId: 'u1', traits: { plan: 'pro' }, timestamp: '2024-01-05T00:00:00Z' },
  { type: 'user', userId: 'u2', accountId: 'A2', traits: {} },
  { type: 'user', userId: 'u3', traits: {} },
  { type: 'track', userId: 'u1', event: 'login', properties: { n: 1 }, timestamp: '2024-01-01T10:00:00Z' },
  { type: 'track', userId: 'u1', event: 'login', properties: { n: 2 }, timestamp: '2024-01-02T10:00:00Z' },
  {
    type: 'track',
    userId: 'u2',
    accountId: 'A2',
    event: 'login',
    properties: {},
    timestamp: '2024-01-08T00:00:00Z',
  },
  {
    type: 'track',
    userId: 'u2',
    event: 'purchase',
    properties: { usd: 9 },
    timestamp: '2024-01-08T01:00:00Z',
  },
  {
    type: 'track',
    userId: 'u3',
    accountId: 'A1',
    event: 'login',
    properties: {},
    timestamp: '2024-02-15T00:00:00Z',
  },
  {
    type: 'track',
    userId: 'u1',
    event: 'login',
    properties: { n: 3 },
    timestamp: '2024-03-31T23:59:59.999Z',
  },
];

describe.each(engines())('native analytics reads [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const get = (url: string, key: string | null = ctx().orgA.read) => ctx().call(key, { method: 'GET', url });

  beforeAll(async () => {
    const res = await ctx().app.inject({
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: { authorization: `Basic ${ctx().orgA.write}`, 'content-type': 'application/json' },
      payload: JSON.stringify(batch),
    });
    expect(res.statusCode).toBe(200);
  });

  it('lists entities of a type, paged by cursor', async () => {
    const first = await get('/v1/entities?type=user&limit=2');
    expect(first.statusCode).toBe(200);
    const p1 = first.json();
    expect(p1.items).toHaveLength(2);
    expect(p1.next_cursor).toEqual(expect.any(String));
    const p2 = (await get(`/v1/entities?type=user&limit=2&cursor=${p1.next_cursor}`)).json();
    expect(p2.next_cursor).toBeNull();
    const ids = [...p1.items, ...p2.items].map((e: { external_id: string }) => e.external_id).sort();
    expect(ids).toEqual(['u1', 'u2', 'u3']);
    expect(p1.items[0]).toEqual({
      id: expect.any(String),
      type: 'user',
      external_id: expect.any(String),
      name: null,
      custom_object_id: null,
      traits: expect.any(Object),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const all = (await get('/v1/entities?limit=100')).json();
    expect(all.items).toHaveLength(5);
  });

  it('rejects an unknown entity type with a problem', async () => {
    expect(expectProblem(await get('/v1/entities?type=group'), 400).errors[0].field).toBe('type');
  });

  it('gets one entity with traits, links and trait history (newest first)', async () => {
    const res = await get('/v1/entities/user/u1');
    expect(res.statusCode).toBe(200);
    const u1 = res.json();
    expect(u1.traits).toEqual({ plan: 'pro' });
    expect(u1.trait_timestamps).toEqual({ plan: '2024-01-05T00:00:00.000Z' });
    expect(u1.links).toEqual({
      parents: [{ type: 'account', external_id: 'A1', linked_at: expect.any(String) }],
      children: [],
    });
    expect(u1.trait_history).toEqual([
      expect.objectContaining({ key: 'plan', old_value: 'free', new_value: 'pro', removed: false }),
      expect.objectContaining({ key: 'plan', old_value: null, new_value: 'free', removed: false }),
    ]);
    const limited = (await get('/v1/entities/user/u1?history_limit=1')).json();
    expect(limited.trait_history).toHaveLength(1);
    const a1 = (await get('/v1/entities/account/A1')).json();
    expect(a1.links.children).toEqual([{ type: 'user', external_id: 'u1', linked_at: expect.any(String) }]);
  });

  it('404 for an unknown entity', async () => {
    expectProblem(await get('/v1/entities/user/nobody'), 404);
  });

  it('lists events by user, oldest first', async () => {
    const res = await get('/v1/events?user_id=u1');
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items.map((e: { properties: { n: number } }) => e.properties.n)).toEqual([1, 2, 3]);
    expect(items[0]).toEqual({
      id: expect.any(String),
      event: 'login',
      user_id: 'u1',
      account_id: null,
      organization_id: null,
      properties: { n: 1 },
      timestamp: '2024-01-01T10:00:00.000Z',
      received_at: expect.any(String),
      message_id: null,
    });
  });

  it("lists an account's events: sent with its id, and its users' sent without one", async () => {
    const a1 = (await get('/v1/events?account_id=A1')).json().items;
    expect(a1.map((e: { user_id: string }) => e.user_id)).toEqual(['u1', 'u1', 'u3', 'u1']);
    const a2 = (await get('/v1/events?account_id=A2')).json().items;
    expect(a2.map((e: { event: string }) => e.event)).toEqual(['login', 'purchase']);
  });

  it('filters events by name and time range (from inclusive, to exclusive)', async () => {
    const purchases = (await get('/v1/events?event=purchase')).json().items;
    expect(purchases).toHaveLength(1);
    expect(purchases[0].properties).toEqual({ usd: 9 });
    const range = (await get('/v1/events?from=2024-01-02T10:00:00Z&to=2024-02-15T00:00:00Z')).json().items;
    expect(range.map((e: { timestamp: string }) => e.timestamp)).toEqual([
      '2024-01-02T10:00:00.000Z',
      '2024-01-08T00:00:00.000Z',
      '2024-01-08T01:00:00.000Z',
    ]);
  });

  it('pages events with a cursor, without gaps or repeats', async () => {
    const { items, pages } = await walkPages<{ id: string; timestamp: string }>(
      (o) => ctx().call(ctx().orgA.read, o),
      '/v1/events',
      4,
    );
    expect(pages).toBe(2);
    const seen = items.map((e) => e.timestamp);
    expect(seen).toHaveLength(6);
    expect([...seen].sort()).toEqual(seen);
    expect(expectProblem(await get('/v1/events?cursor=bm9wZQ'), 400).errors[0].field).toBe('cursor');
  });

  it('counts an event per day, week and month, with empty buckets as zero', async () => {
    const day = await get('/v1/events/counts?event=login&granularity=day&from=2024-01-01&to=2024-01-03');
    expect(day.statusCode).toBe(200);
    expect(day.json()).toEqual({
      event: 'login',
      granularity: 'day',
      total: 2,
      series: [
        { period_start: '2024-01-01', count: 1 },
        { period_start: '2024-01-02', count: 1 },
        { period_start: '2024-01-03', count: 0 },
      ],
    });
    const week = (await get('/v1/events/counts?event=login&granularity=week')).json();
    expect(week.total).toBe(5);
    expect(week.series).toHaveLength(13);
    expect(week.series[0]).toEqual({ period_start: '2024-01-01', count: 2 });
    expect(week.series[1]).toEqual({ period_start: '2024-01-08', count: 1 });
    expect(week.series[6]).toEqual({ period_start: '2024-02-12', count: 1 });
    expect(week.series[12]).toEqual({ period_start: '2024-03-25', count: 1 });
    const month = (await get('/v1/events/counts?event=login&granularity=month')).json();
    expect(month.series).toEqual([
      { period_start: '2024-01-01', count: 3 },
      { period_start: '2024-02-01', count: 1 },
      { period_start: '2024-03-01', count: 1 },
    ]);
    const byUser = (await get('/v1/events/counts?event=login&granularity=month&user_id=u2')).json();
    expect(byUser.series).toEqual([{ period_start: '2024-01-01', count: 1 }]);
  });

  it('counts every event without an event name; rejects a bad granularity', async () => {
    const all = (await get('/v1/events/counts?granularity=month')).json();
    expect(all).toMatchObject({ event: null, total: 6, other: null });
    expect(all.events.map((e: { event: string; total: number }) => [e.event, e.total])).toEqual([
      ['login', 5],
      ['purchase', 1],
    ]);
    const bad = expectProblem(await get('/v1/events/counts?event=login&granularity=year'), 400);
    expect(bad.errors[0].field).toBe('granularity');
  });

  it('401 without a key, in problem shape', async () => {
    for (const url of [
      '/v1/entities',
      '/v1/entities/user/u1',
      '/v1/events',
      '/v1/events/counts?event=login',
    ]) {
      expectProblem(await get(url, null), 401);
    }
  });

  it('the analytics routes are in the OpenAPI document', async () => {
    const doc = (await get('/openapi.json', null)).json();
    for (const path of [
      '/analytics/v1/batch',
      '/v1/entities',
      '/v1/entities/{type}/{external_id}',
      '/v1/events',
      '/v1/events/counts',
    ]) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    expect(
      doc.paths['/analytics/v1/batch'].post.requestBody.content['application/json'].schema,
    ).toMatchObject({
      type: 'array',
      maxItems: 100,
    });
  });

  it("another organization's key gets 404 on entities and never sees the events", async () => {
    const b = ctx().orgB.admin;
    for (const url of ['/v1/entities/user/u1', '/v1/entities/account/A1']) {
      const res = await get(url, b);
      expectProblem(res, 404);
      const text = res.body;
      for (const secret of ['plan', 'Acme', 'traits']) expect(text).not.toContain(secret);
    }
    expect((await get('/v1/entities', b)).json().items).toEqual([]);
    expect((await get('/v1/events', b)).json().items).toEqual([]);
    expect((await get('/v1/events?user_id=u1', b)).json().items).toEqual([]);
    expect((await get('/v1/events?account_id=A1', b)).json().items).toEqual([]);
    const counts = (await get('/v1/events/counts?event=login', b)).json();
    expect(counts).toEqual({ event: 'login', granularity: 'day', total: 0, series: [] });
  });
});
