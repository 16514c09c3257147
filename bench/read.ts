// The read side (issue 12), on SQLite and on PostgreSQL: a metric of 1M points (100 members
// of one dimension × 10,000 days) pushed through the native API, then its rollups, the
// worst /health latency while they run, group_by over the 100 members, the KPI-card
// summary of 100 metrics, and the streaming export (when that route exists); against the
// raw database aggregating the same points in the same run.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PG_BASE, wantedEngines } from './engines.ts';
import type { BenchEnv, BenchSection, BenchServer, Figure, Ratio } from './types.ts';

const DAY = 86_400_000;
const EPOCH = Date.UTC(2000, 0, 1);
const BATCH = 1000;
const IDLE_TIMEOUT_MS = 15 * 60_000;
/** The server's default socket idle timeout: a read longer than this is cut off. */
const DEFAULT_IDLE_MS = 30_000;
const CONNECTIONS = 4;
const AGGS = ['sum', 'avg', 'min', 'max', 'count', 'first', 'last'] as const;
const GRANULARITIES = ['month', 'quarter', 'year'] as const;

const date = (n: number) => new Date(EPOCH + n * DAY).toISOString().slice(0, 10);
const value = (n: number) => `${Math.floor(n / 7) % 100000}.${String(n % 100).padStart(2, '0')}`;
const member = (m: number) => `m${String(m).padStart(3, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms1 = (n: number) => n.toFixed(1);

interface Sizes {
  members: number;
  days: number;
  summaryMetrics: number;
  summaryDays: number;
  /** Timed calls per measured URL (after warm-up). */
  calls: number;
  loadSeconds: number;
  /** Vitally track events for the event counts (20 names over 3 years). */
  events: number;
}

const FULL: Sizes = {
  members: 100,
  days: 10_000,
  summaryMetrics: 100,
  summaryDays: 10_000,
  calls: 50,
  loadSeconds: 10,
  events: 1_000_000,
};
const QUICK: Sizes = { ...FULL, days: 1_000, summaryDays: 1_000, calls: 30, loadSeconds: 5, events: 100_000 };

// ---- statistics -------------------------------------------------------------------------

interface Latency {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

/** Nearest-rank percentiles (with 50 samples, p99 is the slowest call). */
function latency(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { p50: at(50), p99: at(99), max: s[s.length - 1], n: s.length };
}

const median = (samples: number[]) => latency(samples).p50;

// ---- HTTP -------------------------------------------------------------------------------

const auth = (server: BenchServer) => ({ authorization: `Bearer ${server.key}` });

async function post<T>(server: BenchServer, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { ...auth(server), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function getJson<T>(server: BenchServer, path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: auth(server) });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** One GET, body read in full (as a browser would, compression negotiated): its ms. */
async function timedGet(server: BenchServer, path: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${server.url}${path}`, { headers: auth(server) });
  await res.arrayBuffer();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  return ms;
}

/**
 * `calls` timed GETs after 5 untimed ones. A URL that turns out slow stops after 20 s (at
 * least 5 timed calls), so one slow figure does not stall the run.
 */
async function measure(server: BenchServer, path: string, calls: number): Promise<Latency> {
  for (let i = 0; i < 5; i++) await timedGet(server, path);
  const samples: number[] = [];
  const deadline = performance.now() + 20_000;
  while (samples.length < calls && (samples.length < 5 || performance.now() < deadline))
    samples.push(await timedGet(server, path));
  return latency(samples);
}

/**
 * Sends `batches` request bodies (made one at a time by `body(i)`, never all at once)
 * as native PUTs over 4 connections, `Prefer: return=minimal`. Returns the seconds taken.
 */
async function pushBatches(
  server: BenchServer,
  batches: number,
  body: (i: number) => { metric: string; json: string },
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < batches) {
      const { metric, json } = body(next++);
      const res = await fetch(`${server.url}/v1/metrics/${metric}/data_points`, {
        method: 'PUT',
        headers: { ...auth(server), 'content-type': 'application/json', prefer: 'return=minimal' },
        body: json,
      });
      if (res.status !== 200) throw new Error(`PUT: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return (performance.now() - started) / 1000;
}

/** Probes /health every ~20 ms until stopped; the latencies it saw. */
function probeHealth(server: BenchServer): { stop(): Promise<Latency> } {
  const samples: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const res = await fetch(`${server.url}/health`);
      await res.arrayBuffer();
      const ms = performance.now() - started;
      samples.push(ms);
      await sleep(Math.max(0, 20 - ms));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return latency(samples);
    },
  };
}

// ---- event counts -------------------------------------------------------------------------

const EVENT_NAMES = 20;
const EVENT_BATCH = 100;
const EVENT_CONNECTIONS = 16;
/** 3 years of events, evenly spread. */
const EVENT_SPAN_MS = 3 * 365 * DAY;

/**
 * Figure 8: `events` Vitally track messages (20 event names, the lower ones more frequent,
 * 10,000 users, timestamps spread over 3 years) sent as 100-message batches over 16
 * connections, then the event counts timed: by month for every name (top 10 and "other"),
 * by day for one name over the 3 years, by week for every name over one quarter.
 */
async function eventCounts(server: BenchServer, z: Sizes) {
  const epoch = Date.UTC(2022, 0, 1);
  const batches = z.events / EVENT_BATCH;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < batches) {
      const i = next++;
      const messages = Array.from({ length: EVENT_BATCH }, (_, j) => {
        const n = i * EVENT_BATCH + j;
        return {
          type: 'track',
          userId: `u${n % 10_000}`,
          // Name k of 20 with weight 2k + 1: some names far more frequent than others.
          event: `e${String(Math.floor(Math.sqrt((n * 7919) % 400))).padStart(2, '0')}`,
          properties: { n },
          messageId: `ev-${n}`,
          timestamp: new Date(epoch + Math.floor((n / z.events) * EVENT_SPAN_MS)).toISOString(),
        };
      });
      const res = await fetch(`${server.url}/analytics/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Basic ${server.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(messages),
      });
      if (!res.ok) throw new Error(`Vitally batch: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: EVENT_CONNECTIONS }, worker));
  const perSecond = z.events / ((performance.now() - started) / 1000);
  const all = await getJson<{ total: number }>(server, '/v1/events/counts?granularity=month');
  const paths: [string, string][] = [
    ['every name by month, top 10 and other', '/v1/events/counts?granularity=month&top=10'],
    ['one name by day, 3 years', '/v1/events/counts?granularity=day&event=e05'],
    [
      'every name by week, one quarter',
      '/v1/events/counts?granularity=week&from=2023-01-01&to=2023-03-31&top=20',
    ],
  ];
  const timed: Timed[] = [];
  for (const [name, path] of paths)
    timed.push({ name: `event counts, ${name}`, path, lat: await measure(server, path, z.calls) });
  return { perSecond, total: all.total, timed, names: EVENT_NAMES };
}

// ---- the engines ------------------------------------------------------------------------

interface Engine {
  label: 'SQLite' | 'PostgreSQL';
  /** The server's KPIHUB_DATABASE_URL. */
  databaseUrl: string;
  /** The raw database's month sum of the metric's points, straight from data_points: ms. */
  rawMonthSum(metricId: string): Promise<{ ms: number; count: number }>;
  close(): Promise<void>;
}

function sqliteEngine(dir: string): Engine {
  const path = join(dir, `read-${randomBytes(4).toString('hex')}.db`);
  let db: Database.Database | undefined;
  return {
    label: 'SQLite',
    databaseUrl: `sqlite:${path}`,
    async rawMonthSum(metricId) {
      db ??= new Database(path, { readonly: true, fileMustExist: true });
      const stmt = db.prepare(
        'select substr(period_start,1,7) m, count(*) n, sum(cast(value as real)) s from data_points where metric_id=? group by m',
      );
      const started = performance.now();
      const rows = stmt.all(metricId) as { n: number }[];
      return { ms: performance.now() - started, count: rows.reduce((a, r) => a + r.n, 0) };
    },
    async close() {
      db?.close();
    },
  };
}

/** A schema of its own in PostgreSQL (dropped by close), or null when it is unreachable. */
async function postgresEngine(): Promise<Engine | null> {
  const client = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch {
    await client.end().catch(() => {});
    return null;
  }
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  return {
    label: 'PostgreSQL',
    databaseUrl: `${PG_BASE}${PG_BASE.includes('?') ? '&' : '?'}schema=${schema}`,
    async rawMonthSum(metricId) {
      const started = performance.now();
      const { rows } = await client.query(
        `select date_trunc('month', period_start) m, count(*) n, sum(value::numeric) s from ${schema}.data_points where metric_id=$1 group by m`,
        [metricId],
      );
      return {
        ms: performance.now() - started,
        count: rows.reduce((a: number, r: { n: string }) => a + Number(r.n), 0),
      };
    },
    async close() {
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

// ---- what is measured -------------------------------------------------------------------

/** Figure 1: the 1M-point metric, ingested day by day (10 days × 100 members a batch). */
async function ingestBig(
  server: BenchServer,
  z: Sizes,
): Promise<{ metric: string; pointsPerSecond: number }> {
  const { id: metric } = await post<{ id: string }>(server, '/v1/metrics', {
    name: 'Revenue by member',
    value_type: 'number',
    dimensions: [{ name: 'member' }],
  });
  const daysPerBatch = BATCH / z.members;
  const body = (i: number) => {
    const data_points = [];
    for (let d = i * daysPerBatch; d < (i + 1) * daysPerBatch; d++)
      for (let m = 0; m < z.members; m++)
        data_points.push({
          date: date(d),
          value: value(d * z.members + m),
          coordinates: { member: member(m) },
        });
    return { metric, json: JSON.stringify({ data_points }) };
  };
  const seconds = await pushBatches(server, (z.members * z.days) / BATCH, body);
  return { metric, pointsPerSecond: (z.members * z.days) / seconds };
}

interface SeriesAnswer {
  points: { period_start: string; value: string; count: number }[];
}

/**
 * Figure 2, catch-up: from the last write's answer to the answer of the first month-sum
 * series over the whole range. Every month was written moments ago, so that read
 * recomputes them all before answering (the background refresher waits for 1 s of quiet):
 * the longest a dashboard waits after a bulk load. /health is probed meanwhile.
 */
async function catchUp(server: BenchServer, metric: string) {
  const health = probeHealth(server);
  const started = performance.now();
  const first = await getJson<SeriesAnswer>(server, `/v1/metrics/${metric}/series?granularity=month&agg=sum`);
  const ms = performance.now() - started;
  const second = await timedGet(server, `/v1/metrics/${metric}/series?granularity=month&agg=sum`);
  const count = first.points.reduce((a, p) => a + p.count, 0);
  return { ms, second, count, health: await health.stop() };
}

type Timed = { name: string; path: string; lat: Latency };

/** Figure 3: each granularity × aggregate over the whole range, and days for one member. */
async function rollups(server: BenchServer, metric: string, z: Sizes): Promise<Timed[]> {
  const out: Timed[] = [];
  const base = `/v1/metrics/${metric}/series`;
  for (const g of GRANULARITIES)
    for (const agg of AGGS) {
      const path = `${base}?granularity=${g}&agg=${agg}`;
      out.push({ name: `${g} ${agg}`, path, lat: await measure(server, path, z.calls) });
    }
  const one = encodeURIComponent(JSON.stringify({ member: member(1) }));
  const year = `${base}?granularity=day&agg=sum&coordinates=${one}&from=2001-01-01&to=2001-12-31`;
  out.push({ name: 'day sum, one member, one year', path: year, lat: await measure(server, year, z.calls) });
  const all = `${base}?granularity=day&agg=sum&coordinates=${one}`;
  out.push({
    name: `day sum, one member, whole range (${z.days.toLocaleString('en-US')} days)`,
    path: all,
    lat: await measure(server, all, z.calls),
  });
  return out;
}

/**
 * Figure 4: /health probed every ~20 ms while 4 clients ask for month, quarter and year
 * rollups (every aggregate, in turn) back to back for `seconds`.
 */
async function healthUnderLoad(server: BenchServer, metric: string, seconds: number) {
  const paths = GRANULARITIES.flatMap((g) =>
    AGGS.map((agg) => `/v1/metrics/${metric}/series?granularity=${g}&agg=${agg}`),
  );
  const health = probeHealth(server);
  const until = performance.now() + seconds * 1000;
  let calls = 0;
  const client = async (k: number) => {
    for (let i = k; performance.now() < until; i += CONNECTIONS, calls++)
      await timedGet(server, paths[i % paths.length]);
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, k) => client(k)));
  return { health: await health.stop(), rollupsPerSecond: calls / seconds };
}

/** Figure 5: one series per member (top N plus "other"), by month and by year, whole range and last 3 years. */
async function groupBy(server: BenchServer, metric: string, z: Sizes): Promise<Timed[]> {
  const out: Timed[] = [];
  for (const g of ['month', 'year'])
    for (const top of [10, 100]) {
      const path = `/v1/metrics/${metric}/series?granularity=${g}&agg=sum&group_by=member&top=${top}`;
      out.push({
        name: `group_by member, ${g}, top=${top}`,
        path,
        lat: await measure(server, path, z.calls),
      });
    }
  // What a dashboard asks for: the last three years by month (the whole range is 27 years).
  const from = date(Math.max(0, z.days - 3 * 365));
  const recent = `/v1/metrics/${metric}/series?granularity=month&agg=sum&group_by=member&top=10&from=${from}`;
  out.push({
    name: 'group_by member, month, top=10, last 3 years',
    path: recent,
    lat: await measure(server, recent, z.calls),
  });
  return out;
}

/**
 * Figure 7: the 1M points as CSV, read to the end (no compression asked, as a CLI would):
 * points/s and the server's peak RSS during it (VmHWM, reset first where Linux allows).
 * Null when the export route is not there.
 */
async function exportRun(server: BenchServer, metric: string) {
  const status = server.pid ? `/proc/${server.pid}/status` : undefined;
  const kb = (field: string) => {
    const m = status ? new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(status, 'utf8')) : null;
    return m ? Number(m[1]) : Number.NaN;
  };
  let reset = false;
  try {
    writeFileSync(`/proc/${server.pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
    reset = true;
  } catch {}
  const rssBefore = kb('VmRSS');
  const started = performance.now();
  const res = await fetch(`${server.url}/v1/metrics/${metric}/data_points/export?format=csv`, {
    headers: { ...auth(server), 'accept-encoding': 'identity' },
  });
  if (res.status === 404 && (await res.text()).includes('route not found')) return null;
  if (res.status !== 200) throw new Error(`export: ${res.status} ${await res.text()}`);
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  const seconds = (performance.now() - started) / 1000;
  const rows = lines - 1; // the header
  return {
    rows,
    pointsPerSecond: rows / seconds,
    peakMb: kb('VmHWM') / 1024,
    rssBeforeMb: rssBefore / 1024,
    reset,
  };
}

/**
 * Figure 6: a dataset of 100 monthly metrics × 10,000 daily points, pushed the same way,
 * then its page of KPI cards. The first call recomputes every month just written (as the
 * catch-up above); the p50/p99 are of the calls after it.
 */
async function summaries(server: BenchServer, z: Sizes) {
  const metrics = Array.from({ length: z.summaryMetrics }, (_, k) => ({
    name: `KPI ${k}`,
    value_type: 'number',
    frequency: 'monthly',
  }));
  const dataset = await post<{ id: string; metrics: { id: string }[] }>(server, '/v1/datasets', {
    name: 'KPI cards',
    metrics,
  });
  const ids = dataset.metrics.map((m) => m.id);
  const perMetric = z.summaryDays / BATCH;
  const body = (i: number) => {
    const chunk = Math.floor(i / ids.length);
    const data_points = [];
    for (let d = chunk * BATCH; d < (chunk + 1) * BATCH; d++)
      data_points.push({ date: date(d), value: value(d + i) });
    return { metric: ids[i % ids.length], json: JSON.stringify({ data_points }) };
  };
  const seconds = await pushBatches(server, ids.length * perMetric, body);
  const path = `/v1/datasets/${dataset.id}/summary?limit=100`;
  const first = await timedGet(server, path);
  const page = await getJson<{ items: unknown[] }>(server, path);
  // The first call recomputed only the cards' windows; the background refresher goes on with
  // the months before them. Timed separately: the cards are then measured as a dashboard
  // sees them once the load has been digested, not while the server still works it off.
  const backlog = await drainRollupBacklog(server);
  return {
    pointsPerSecond: (ids.length * z.summaryDays) / seconds,
    first,
    backlog,
    cards: page.items.length,
    lat: await measure(server, path, z.calls),
  };
}

/** Waits until no month waits for its rollups (the /metrics gauge is 0): how long, in ms. */
async function drainRollupBacklog(server: BenchServer, limitMs = 15 * 60_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const res = await fetch(`${server.url}/metrics`);
    const line = (await res.text()).split('\n').find((l) => l.startsWith('kpihub_rollup_months_pending '));
    if (line === undefined || Number(line.split(' ')[1]) === 0) return performance.now() - started;
    if (performance.now() - started > limitMs) return Number.NaN;
    await sleep(250);
  }
}

/** Figure 8: the raw database's month sum, median of 5 after one warm-up. */
async function rawReference(engine: Engine, metric: string) {
  await engine.rawMonthSum(metric);
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await engine.rawMonthSum(metric));
  return { ms: median(runs.map((r) => r.ms)), count: runs[0].count };
}

// ---- one engine, start to end -----------------------------------------------------------

const latencyFigure = (label: string, name: string, lat: Latency): Figure => ({
  name: `${label}: ${name}, p50`,
  value: lat.p50,
  unit: `ms (p99 ${ms1(lat.p99)} ms, ${lat.n} calls)`,
});

const cutOff = (label: string, what: string, ms: number) =>
  `${label}: the ${what} took ${ms1(ms / 1000)} s: with the default socket idle timeout ` +
  `(KPIHUB_IDLE_TIMEOUT_MS, ${DEFAULT_IDLE_MS / 1000} s) the server would have closed the connection before answering.`;

async function runEngine(env: BenchEnv, engine: Engine, z: Sizes): Promise<BenchSection> {
  const L = engine.label;
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const notes: string[] = [];
  // A catch-up read may run longer than the default 30 s socket idle timeout, which would
  // cut it off: the bench raises it to measure how long it takes (and notes when > 30 s).
  const server = await env.startServer({
    KPIHUB_DATABASE_URL: engine.databaseUrl,
    KPIHUB_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
  });
  try {
    process.stdout.write(`  ${L}: ingest\n`);
    const { metric, pointsPerSecond } = await ingestBig(server, z);
    figures.push({
      name: `${L}: native PUT of the metric, 1,000-point batches, 4 connections`,
      value: pointsPerSecond,
      unit: 'points/s',
    });

    const caught = await catchUp(server, metric);
    figures.push(
      {
        name: `${L}: catch-up, first month-sum series after the last write`,
        value: caught.ms,
        unit: `ms (the next call ${ms1(caught.second)} ms)`,
      },
      {
        name: `${L}: /health during the catch-up, worst`,
        value: caught.health.max,
        unit: `ms (p99 ${ms1(caught.health.p99)} ms, ${caught.health.n} probes)`,
      },
    );
    if (caught.ms > DEFAULT_IDLE_MS) notes.push(cutOff(L, 'catch-up series call', caught.ms));
    const points = z.members * z.days;
    if (caught.count !== points)
      notes.push(`${L}: the month series counted ${caught.count} points, not ${points}.`);

    process.stdout.write(`  ${L}: rollups\n`);
    const timed = await rollups(server, metric, z);
    for (const t of timed) figures.push(latencyFigure(L, t.name, t.lat));

    const load = await healthUnderLoad(server, metric, z.loadSeconds);
    figures.push(
      {
        name: `${L}: /health while 4 clients ask for rollups, worst`,
        value: load.health.max,
        unit: `ms (p99 ${ms1(load.health.p99)} ms, ${load.health.n} probes)`,
      },
      { name: `${L}: rollups answered meanwhile`, value: load.rollupsPerSecond, unit: 'calls/s' },
    );

    process.stdout.write(`  ${L}: group_by\n`);
    const groups = await groupBy(server, metric, z);
    for (const t of groups) figures.push(latencyFigure(L, t.name, t.lat));

    const raw = await rawReference(engine, metric);
    const ours = timed.find((t) => t.name === 'month sum')!.lat;
    figures.push({
      name: `${L}: raw database month sum of the same points (SQL group by)`,
      value: raw.ms,
      unit: 'ms (median of 5)',
    });
    if (raw.count !== points) notes.push(`${L}: the raw query counted ${raw.count} points, not ${points}.`);

    process.stdout.write(`  ${L}: export\n`);
    const exported = await exportRun(server, metric);
    if (!exported)
      notes.push(
        `${L}: no export route (GET /v1/metrics/{id}/data_points/export answered 404 route not found): figure 7 skipped.`,
      );
    else {
      figures.push(
        {
          name: `${L}: CSV export of the metric`,
          value: exported.pointsPerSecond,
          unit: `points/s (${exported.rows.toLocaleString('en-US')} rows)`,
        },
        {
          name: `${L}: server peak RSS during the export`,
          value: exported.peakMb,
          unit: `MB (${ms1(exported.rssBeforeMb)} MB before)`,
        },
      );
      if (!exported.reset)
        notes.push(`${L}: VmHWM could not be reset: the peak RSS is the process's whole life.`);
      if (exported.rows !== points) notes.push(`${L}: the export had ${exported.rows} rows, not ${points}.`);
    }

    process.stdout.write(`  ${L}: summaries\n`);
    const summary = await summaries(server, z);
    figures.push(
      { name: `${L}: native PUT of the summary dataset`, value: summary.pointsPerSecond, unit: 'points/s' },
      { name: `${L}: summary, first call after the writes (catch-up)`, value: summary.first, unit: 'ms' },
      {
        name: `${L}: the summary dataset's other months recomputed in the background, after that call`,
        value: summary.backlog,
        unit: 'ms',
      },
      latencyFigure(L, `summary of ${summary.cards} metrics`, summary.lat),
    );

    if (summary.first > DEFAULT_IDLE_MS) notes.push(cutOff(L, 'first summary call', summary.first));

    process.stdout.write(`  ${L}: event counts\n`);
    const events = await eventCounts(server, z);
    figures.push({
      name: `${L}: Vitally track events in, 100 a batch, 16 connections`,
      value: events.perSecond,
      unit: `events/s (${events.total.toLocaleString('en-US')} counted, ${events.names} names)`,
    });
    for (const t of events.timed) figures.push(latencyFigure(L, t.name, t.lat));
    if (events.total !== z.events)
      notes.push(`${L}: the event counts totalled ${events.total}, not ${z.events}.`);
    const worstEvents = [...events.timed].sort((a, b) => b.lat.p99 - a.lat.p99)[0];

    const worst = [...timed].sort((a, b) => b.lat.p99 - a.lat.p99)[0];
    const worstGroup = [...groups].sort((a, b) => b.lat.p99 - a.lat.p99)[0];
    ratios.push(
      { name: `${L}: raw database month sum ms ÷ ours (p50)`, value: raw.ms / ours.p50 },
      { name: `${L}: 100 ÷ worst rollup p99 (${worst.name})`, value: 100 / worst.lat.p99, target: 1 },
      { name: `${L}: 100 ÷ worst /health under rollup load`, value: 100 / load.health.max, target: 1 },
      {
        name: `${L}: 100 ÷ worst group_by p99 (${worstGroup.name})`,
        value: 100 / worstGroup.lat.p99,
        target: 1,
      },
      { name: `${L}: 100 ÷ summary p99`, value: 100 / summary.lat.p99, target: 1 },
      {
        name: `${L}: 100 ÷ worst event counts p99 (${worstEvents.name})`,
        value: 100 / worstEvents.lat.p99,
        target: 1,
      },
    );
    return { title: L, figures, ratios, notes };
  } finally {
    await server.stop();
  }
}

export async function run(env: BenchEnv): Promise<BenchSection> {
  const z = env.quick ? QUICK : FULL;
  const section: BenchSection = {
    title: 'Reads: rollups, group_by, summaries, export and event counts (SQLite and PostgreSQL)',
    figures: [],
    ratios: [],
    notes: [
      `${(z.members * z.days).toLocaleString('en-US')} points: ${z.members} members × ${z.days.toLocaleString('en-US')} days, one metric; ` +
        `summaries: ${z.summaryMetrics} metrics × ${z.summaryDays.toLocaleString('en-US')} daily points. Latencies: ${z.calls} timed calls after 5 untimed ones ` +
        '(nearest rank: p99 is the slowest call), measured by the bench process on the same 2 cores as the server.',
      'Catch-up: from the last write to the answer of the first month-sum series, which recomputes every month still marked (the background refresher waits for 1 s without writes).',
      'Raw database: the same month grouping in SQL straight from data_points (SQLite: sum of cast(value as real), inexact; PostgreSQL: sum of value::numeric), no HTTP; ratio above 1 means ours is faster.',
    ],
  };
  // BENCH_ENGINES (or this section's older BENCH_READ_ENGINES)=sqlite or =postgres runs one
  // engine only (both by default).
  const wanted = wantedEngines(process.env.BENCH_READ_ENGINES);
  const engines: Engine[] = wanted.has('sqlite') ? [sqliteEngine(env.dir)] : [];
  const postgres = wanted.has('postgres') ? await postgresEngine() : null;
  if (postgres) engines.push(postgres);
  else if (wanted.has('postgres')) section.notes!.push(`PostgreSQL unreachable at ${PG_BASE}: skipped.`);
  for (const engine of engines) {
    try {
      const part = await runEngine(env, engine, z);
      section.figures.push(...part.figures);
      section.ratios.push(...part.ratios);
      section.notes!.push(...(part.notes ?? []));
    } finally {
      await engine.close();
    }
  }
  return section;
}
