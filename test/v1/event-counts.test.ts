import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/core/analytics/records.ts';
import { newId } from '../../src/core/ids.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';

// GET /v1/events/counts answered from the day counts kept with the events: exact per name
// and bucket (UTC days, ISO weeks from Monday, months), never counting a replayed message
// twice, unchanged by a rejected batch, and one organization's only.

interface Point {
  period_start: string;
  count: number;
}
type Granularity = 'day' | 'week' | 'month';

const DAY_MS = 86_400_000;

// The expected buckets, computed here independently of the code under test.
function bucketOf(utc: string, g: Granularity): string {
  const d = new Date(utc);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (g === 'day') return new Date(day).toISOString().slice(0, 10);
  if (g === 'month')
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString().slice(0, 10);
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return new Date(day - sinceMonday * DAY_MS).toISOString().slice(0, 10);
}

/** Non-zero buckets of a series, as { bucket: count }. */
const nonZero = (series: Point[]) =>
  Object.fromEntries(series.filter((p) => p.count > 0).map((p) => [p.period_start, p.count]));

function expected(timestamps: string[], g: Granularity): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of timestamps) {
    const b = bucketOf(t, g);
    out[b] = (out[b] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

// Each edge of a bucket, and an offset timestamp that is on another UTC day than its local one.
const EDGES = [
  '2023-12-31T23:59:59.999Z', // Sunday: the week of Monday 2023-12-25, December
  '2024-01-01T00:00:00.000Z', // Monday: a new week, a new month, a new year
  '2024-01-07T23:59:59.999Z', // Sunday: still the week of 2024-01-01
  '2024-01-08T00:00:00.000Z', // Monday
  '2024-01-31T23:59:59.999Z', // last instant of January
  '2024-02-01T00:00:00.000Z', // Thursday: February, but the week of 2024-01-29
  '2024-02-29T12:00:00.000Z', // leap day
  '2024-03-01T01:30:00+02:00', // 2024-02-29T23:30Z: February 29th in UTC
  '2024-03-01T00:00:00.000Z',
];
const EDGES_UTC = EDGES.map((t) => new Date(t).toISOString());

describe.each(engines())('event counts [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const get = (url: string, key: string | null = ctx().orgA.read) => ctx().call(key, { method: 'GET', url });
  const post = (messages: unknown[], key = ctx().orgA.write) =>
    ctx().app.inject({
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: { authorization: `Basic ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify(messages),
    });
  const track = (event: string, timestamp: string, extra: Record<string, unknown> = {}) => ({
    type: 'track',
    userId: 'u-edge',
    event,
    properties: {},
    timestamp,
    ...extra,
  });
  const counts = async (query: string) => {
    const res = await get(`/v1/events/counts?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  /** The day rows of organization A, summed: moves with every event counted. */
  const storedTotal = async () => {
    const row = await ctx()
      .store.db.selectFrom('analytics_event_counts')
      .select((eb) => eb.fn.sum<number>('count').as('n'))
      .where('org_id', '=', ctx().orgA.id)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  };

  // A spread of events over two years: 5 names, 350 events, timestamps from a fixed sequence.
  const spread: { event: string; at: string }[] = [];
  for (let i = 0; i < 350; i++) {
    const ms = Date.parse('2022-11-01T00:00:00Z') + ((i * 7_919_993_117) % (730 * DAY_MS));
    spread.push({ event: `spread-${i % 5}`, at: new Date(ms).toISOString() });
  }

  beforeAll(async () => {
    expect((await post(EDGES.map((t, i) => track('edge', t, { messageId: `edge-${i}` })))).statusCode).toBe(
      200,
    );
    for (let i = 0; i < spread.length; i += 100) {
      const part = spread.slice(i, i + 100).map((s) => track(s.event, s.at, { userId: `u${i}` }));
      expect((await post(part)).statusCode).toBe(200);
    }
  });

  it.each(['day', 'week', 'month'] as const)(
    'counts one event per %s exactly, at the bucket edges',
    async (g) => {
      const body = await counts(`event=edge&granularity=${g}`);
      expect(body.event).toBe('edge');
      expect(body.total).toBe(EDGES.length);
      expect(nonZero(body.series)).toEqual(expected(EDGES_UTC, g));
      expect(body.series[0].period_start).toBe(bucketOf(EDGES_UTC[0], g));
      expect(body.events).toBeUndefined();
    },
  );

  it('the edges land where the calendar says', async () => {
    expect(nonZero((await counts('event=edge&granularity=week')).series)).toEqual({
      '2023-12-25': 1,
      '2024-01-01': 2,
      '2024-01-08': 1,
      '2024-01-29': 2,
      '2024-02-26': 3,
    });
    expect(nonZero((await counts('event=edge&granularity=month')).series)).toEqual({
      '2023-12-01': 1,
      '2024-01-01': 4,
      '2024-02-01': 3,
      '2024-03-01': 1,
    });
    const day = await counts('event=edge&granularity=day&from=2024-02-29&to=2024-03-01');
    expect(day.series).toEqual([
      { period_start: '2024-02-29', count: 2 },
      { period_start: '2024-03-01', count: 1 },
    ]);
    expect(day.total).toBe(3);
    // A range that starts mid-week counts only its own days, in the bucket of their week.
    const week = await counts('event=edge&granularity=week&from=2024-01-03&to=2024-01-08');
    expect(week.series).toEqual([
      { period_start: '2024-01-01', count: 1 },
      { period_start: '2024-01-08', count: 1 },
    ]);
  });

  it.each(['day', 'week', 'month'] as const)(
    'every name at once per %s: exact, aligned series',
    async (g) => {
      const body = await counts(`granularity=${g}&from=2022-11-01&to=2024-12-31&top=5`);
      expect(body.event).toBeNull();
      const all = [...spread.map((s) => s.at), ...EDGES_UTC];
      expect(body.total).toBe(all.length);
      expect(nonZero(body.series)).toEqual(expected(all, g));
      expect(body.events.map((e: { event: string }) => e.event)).toEqual([
        'spread-0',
        'spread-1',
        'spread-2',
        'spread-3',
        'spread-4',
      ]);
      for (const e of body.events) {
        const mine =
          e.event === 'edge' ? EDGES_UTC : spread.filter((s) => s.event === e.event).map((s) => s.at);
        expect(e.total).toBe(mine.length);
        expect(nonZero(e.series)).toEqual(expected(mine, g));
        expect(e.series.map((p: Point) => p.period_start)).toEqual(
          body.series.map((p: Point) => p.period_start),
        );
      }
      // Six names, five shown: the smallest total (edge's 9 events) is the "other".
      expect(body.other).toMatchObject({ events: 1, total: EDGES.length });
      expect(nonZero(body.other.series)).toEqual(expected(EDGES_UTC, g));
    },
  );

  it('names are ranked by total, then by name; no other when every name is shown', async () => {
    const range = 'from=2022-11-01&to=2024-12-31';
    const body = await counts(`granularity=month&top=100&${range}`);
    expect(body.other).toBeNull();
    expect(body.events.map((e: { event: string; total: number }) => [e.event, e.total])).toEqual([
      ['spread-0', 70],
      ['spread-1', 70],
      ['spread-2', 70],
      ['spread-3', 70],
      ['spread-4', 70],
      ['edge', 9],
    ]);
    expect(
      (await counts(`granularity=month&top=2&${range}`)).events.map((e: { event: string }) => e.event),
    ).toEqual(['spread-0', 'spread-1']);
    expect(expectProblem(await get('/v1/events/counts?top=0'), 400).errors[0].field).toBe('top');
    expect(expectProblem(await get('/v1/events/counts?top=101'), 400).errors[0].field).toBe('top');
  });

  it('an answer of more than 100,000 counts is refused, naming top', async () => {
    const many = Array.from({ length: 12 }, (_, i) => track(`many-${i}`, '1990-01-01T00:00:00Z'));
    expect((await post(many)).statusCode).toBe(200);
    // 9,862 days: 13 series (12 names and the total) would be 128,206 counts; 7 are 69,034.
    const range = 'granularity=day&from=1990-01-01&to=2016-12-31';
    expect(expectProblem(await get(`/v1/events/counts?${range}&top=12`), 400).errors[0].field).toBe('top');
    const fewer = await counts(`${range}&top=5`);
    expect(fewer.series).toHaveLength(9_862);
    expect(fewer.events).toHaveLength(5);
    expect(fewer.other).toMatchObject({ events: 7, total: 7 });
  });

  it('a user or account filter counts the events themselves, exactly', async () => {
    const byUser = await counts('event=edge&granularity=month&user_id=u-edge');
    expect(byUser.total).toBe(EDGES.length);
    expect(nonZero(byUser.series)).toEqual(expected(EDGES_UTC, 'month'));
    const allByUser = await counts('granularity=month&user_id=u0');
    expect(allByUser.total).toBe(100);
    expect(allByUser.events.reduce((n: number, e: { total: number }) => n + e.total, 0)).toBe(100);
    expect((await counts('event=edge&user_id=nobody')).total).toBe(0);
  });

  it('a replayed message, or one repeated in its batch, is counted once', async () => {
    const at = '2021-06-15T08:00:00Z';
    const first = [track('replay', at, { messageId: 'r-1' }), track('replay', at, { messageId: 'r-2' })];
    expect((await post(first)).statusCode).toBe(200);
    expect((await counts('event=replay')).total).toBe(2);
    expect((await post(first)).statusCode).toBe(200);
    expect((await post([first[0], track('replay', at, { messageId: 'r-3' }), first[0]])).statusCode).toBe(
      200,
    );
    const body = await counts('event=replay&granularity=day');
    expect(body.total).toBe(3);
    expect(body.series).toEqual([{ period_start: '2021-06-15', count: 3 }]);
    const listed = (await get('/v1/events?event=replay')).json().items;
    expect(listed).toHaveLength(3);
  });

  it('a rejected batch changes no count', async () => {
    const before = {
      edge: await counts('event=edge'),
      all: await counts('granularity=month'),
      stored: await storedTotal(),
    };
    // Refused before anything is written: a bad message among good ones.
    const bad = await post([
      track('edge', '2024-01-01T00:00:00Z'),
      { type: 'track', userId: 'x', properties: {} },
    ]);
    expect(bad.statusCode).toBe(400);
    // Refused after the events were inserted, inside the same transaction.
    const storage = createStorage(ctx().store);
    const row: EventRecord = {
      id: newId(),
      org_id: ctx().orgA.id,
      user_id: 'u-edge',
      account_id: null,
      organization_id: null,
      event: 'edge',
      properties: '{}',
      occurred_at: '2024-01-01T00:00:00.000Z',
      day: '2024-01-01',
      message_id: null,
      received_at: new Date().toISOString(),
    };
    await expect(
      storage.transaction(async (tx) => {
        await tx.writeRecords(row.org_id, { events: [row], eventCounts: [row] });
        throw new Error('refused after the insert');
      }),
    ).rejects.toThrow('refused after the insert');
    expect(await counts('event=edge')).toEqual(before.edge);
    expect(await counts('granularity=month')).toEqual(before.all);
    expect(await storedTotal()).toBe(before.stored);
  });

  it("another organization's key sees none of it, and its own events stay its own", async () => {
    const b = ctx().orgB.admin;
    const one = (await get('/v1/events/counts?event=edge', b)).json();
    expect(one).toEqual({ event: 'edge', granularity: 'day', total: 0, series: [] });
    const all = (await get('/v1/events/counts?granularity=month', b)).json();
    expect(all).toEqual({ event: null, granularity: 'month', total: 0, series: [], events: [], other: null });
    for (const q of ['user_id=u-edge', 'event=edge&user_id=u-edge', 'account_id=A1']) {
      expect((await get(`/v1/events/counts?${q}`, b)).json().total).toBe(0);
    }
    // B tracks the same event with the same messageIds: its counts, not A's.
    const before = await counts('event=edge&granularity=month');
    expect(
      (
        await post(
          EDGES.map((t, i) => track('edge', t, { messageId: `edge-${i}` })),
          b,
        )
      ).statusCode,
    ).toBe(200);
    expect((await get('/v1/events/counts?event=edge', b)).json().total).toBe(EDGES.length);
    expect(await counts('event=edge&granularity=month')).toEqual(before);
  });

  it('the day rows equal the events counted one by one', async () => {
    const { rows } = await sql<{ mismatches: number }>`
      select count(*) as mismatches from (
        select org_id, event, day, count(*) as n from ${sql.table('analytics_events')} group by org_id, event, day
      ) e full outer join ${sql.table('analytics_event_counts')} c
        on c.org_id = e.org_id and c.event = e.event and c.day = e.day
      where e.n is null or c.count is null or e.n <> c.count`.execute(ctx().store.db);
    expect(Number(rows[0].mismatches)).toBe(0);
  });
});
