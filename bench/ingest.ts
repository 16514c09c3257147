import { onEngines, type SectionPart, withPgServer, withServer } from './engines.ts';
import { putLoad, startScript, stopChild } from './http-load.ts';
import { influxInstalled, influxWrite } from './influx.ts';
import { pgRawUpsert } from './pg-floors.ts';
import { type RawPoint, rawUpsert } from './raw-upsert.ts';
import { medianOfRounds } from './rounds.ts';
import type { BenchEnv, BenchServer } from './types.ts';

const DAY = 86_400_000;
const EPOCH = Date.UTC(2000, 0, 1);
const date = (n: number) => new Date(EPOCH + n * DAY).toISOString().slice(0, 10);
const value = (n: number) => `${Math.floor(n / 7) % 100000}.${String(n % 100).padStart(2, '0')}`;

async function createMetric(url: string, key: string): Promise<string> {
  const res = await fetch(`${url}/v1/metrics`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Revenue', value_type: 'currency', unit: 'EUR' }),
  });
  if (res.status !== 201) throw new Error(`metric: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/**
 * Native PUT of 1,000-point batches at 4 connections, `Prefer: return=minimal`: points per
 * second, first byte to last answer.
 */
async function nativeIngest(server: BenchServer, points: number): Promise<number> {
  const metric = await createMetric(server.url, server.key);
  const bodies: string[] = [];
  for (let b = 0; b < points; b += 1000) {
    const data_points = [];
    for (let n = b; n < b + 1000; n++) data_points.push({ date: date(n), value: value(n) });
    bodies.push(JSON.stringify({ data_points }));
  }
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(`${server.url}/v1/metrics/${metric}/data_points`, {
          method: 'PUT',
          // A bulk loader asks for the counts only (RFC 7240), not its 1,000 points echoed.
          headers: {
            authorization: `Bearer ${server.key}`,
            'content-type': 'application/json',
            prefer: 'return=minimal',
          },
          body,
        });
        if (res.status !== 200) throw new Error(`native PUT ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  return points / ((performance.now() - started) / 1000);
}

/** nativeIngest on a fresh SQLite server. */
function nativeIngestSqlite(env: BenchEnv, points: number): Promise<number> {
  return withServer(env.startServer, (server) => nativeIngest(server, points));
}

function visibleBody(i: number): string {
  const data_points = [];
  for (let j = 0; j < 50; j++)
    data_points.push({ date: date((i * 50 + j) % 2_900_000), value: value(i * 50 + j) });
  return JSON.stringify({ data_points });
}

const pointAt = (n: number): RawPoint => ({
  start: date(n),
  end: date(n),
  coordKey: '',
  coordinates: null,
  value: value(n),
});

/**
 * Issue 14: native PUT on PostgreSQL against a raw multi-row upsert of the same points into
 * the same migrated tables at the same 4 connections, in alternating rounds; every
 * measurement in a schema of its own.
 */
async function postgresHalf(env: BenchEnv): Promise<SectionPart> {
  const points = env.quick ? 20_000 : PG_POINTS;
  const m = await medianOfRounds(env.quick ? 1 : 3, async () => {
    const raw = await pgRawUpsert(points, pointAt);
    const floor = await pgRawUpsert(points, pointAt, { revisions: true });
    const native = await withPgServer(env.startServer, (server) => nativeIngest(server, points));
    return {
      raw,
      floor,
      native,
      floorRatio: floor / raw,
      nativeRatio: native / raw,
      nativeFloor: native / floor,
    };
  });
  return {
    figures: [
      {
        name: 'raw multi-row INSERT … ON CONFLICT DO UPDATE, 1,000 rows a statement, 4 connections',
        value: m.raw,
        unit: 'points/s',
      },
      {
        name: 'the same + one revision row per point (same statement, a CTE)',
        value: m.floor,
        unit: 'points/s',
      },
      {
        name: 'native PUT, 1,000-point batches, 4 connections, revisions on, Prefer: return=minimal',
        value: m.native,
        unit: 'points/s',
      },
    ],
    ratios: [
      { name: 'raw upsert with revisions / raw upsert', value: m.floorRatio },
      { name: 'native ingest / raw upsert', value: m.nativeRatio, target: 0.7 },
      { name: 'native ingest / raw upsert with revisions', value: m.nativeFloor },
    ],
    notes: [
      `${points.toLocaleString('en-US')} points per measurement, each in a freshly migrated schema of its own ` +
        `(same tables and indexes as the server's); median of ${m.rounds} alternating rounds (raw, raw with revisions, native).`,
    ],
  };
}

/** Points per measurement on PostgreSQL: as many as on SQLite. */
const PG_POINTS = 200_000;

export function run(env: BenchEnv) {
  return onEngines((engines) => `Data points: the write path (${engines})`, {
    sqlite: () => sqliteHalf(env),
    postgres: () => postgresHalf(env),
  });
}

async function sqliteHalf(env: BenchEnv): Promise<SectionPart> {
  const points = env.quick ? 20_000 : 200_000;
  const seconds = env.quick ? 3 : 10;
  const writes = await medianOfRounds(env.quick ? 1 : 3, async () => {
    const raw = await rawUpsert(env.dir, points, pointAt);
    // The same upsert plus the revision row the issue requires per point: the floor of any
    // write path that keeps revisions, before validation, JSON or HTTP.
    const floor = await rawUpsert(env.dir, points, pointAt, { revisions: true });
    const native = await nativeIngestSqlite(env, points);
    return { raw, floor, native, floorRatio: floor / raw, nativeRatio: native / raw };
  });
  const { raw, native } = writes;
  const rawWithRevisions = writes.floor;

  const server = await env.startServer();
  let visible: Awaited<ReturnType<typeof putLoad>>;
  try {
    const metric = await createMetric(server.url, server.key);
    visible = await putLoad({
      url: `${server.url}/metrics/${metric}/data_points`,
      key: server.key,
      connections: 32,
      seconds,
      body: visibleBody,
    });
  } finally {
    await server.stop();
  }
  const port = String(18900 + Math.floor(Math.random() * 90));
  const bare = await startScript('bench/bare-server.ts', { PORT: port });
  let ceiling: Awaited<ReturnType<typeof putLoad>>;
  try {
    ceiling = await putLoad({
      url: `http://127.0.0.1:${port}/metrics/x/data_points`,
      connections: 32,
      seconds,
      body: visibleBody,
    });
  } finally {
    await stopChild(bare);
  }

  const section: SectionPart = {
    figures: [
      { name: 'raw better-sqlite3 upsert (1,000 a transaction)', value: raw, unit: 'points/s' },
      {
        name: 'raw upsert + one revision row per point (same loop)',
        value: rawWithRevisions,
        unit: 'points/s',
      },
      {
        name: 'native PUT, 1,000-point batches, 4 connections, revisions on, Prefer: return=minimal',
        value: native,
        unit: 'points/s',
      },
      {
        name: 'Visible PUT, 50-point batches, 32 connections',
        value: visible.requestsPerSecond,
        unit: 'req/s',
      },
      { name: 'Visible PUT p50 / p99 latency', value: visible.p50, unit: `ms (p99 ${visible.p99} ms)` },
      { name: 'bare Fastify route, same requests', value: ceiling.requestsPerSecond, unit: 'req/s' },
    ],
    ratios: [
      {
        name: 'raw upsert with revisions / raw upsert (the floor with revisions)',
        value: writes.floorRatio,
      },
      { name: 'native ingest / raw upsert', value: writes.nativeRatio, target: 0.7 },
      {
        name: 'Visible / bare route',
        value: visible.requestsPerSecond / ceiling.requestsPerSecond,
        target: 0.6,
      },
    ],
    notes: [
      `${points.toLocaleString('en-US')} points per run; raw, floor and native: the median of ${writes.rounds} ` +
        `alternating rounds (ratios taken within each round); Visible and bare route ${seconds} s each.`,
      // What the Visible target asks, in points: a request carries 50 of them.
      `Visible at 0.6 × the bare route would store ${Math.round(0.6 * ceiling.requestsPerSecond * 50).toLocaleString('en-US')} ` +
        `points/s, ${((0.6 * ceiling.requestsPerSecond * 50) / raw).toFixed(2)} × the raw upsert without revisions.`,
    ],
  };
  if (visible.non2xx > 0) section.notes!.push(`Visible: ${visible.non2xx} non-2xx answers.`);
  if (influxInstalled()) {
    const influx = await influxWrite(env.dir, points);
    section.figures.push({
      name: 'InfluxDB 1.x line protocol, 1,000-line batches, 8 connections',
      value: influx,
      unit: 'points/s',
    });
    section.ratios.push({ name: 'native ingest / InfluxDB', value: native / influx, target: 3 });
  } else {
    section.notes!.push(
      'InfluxDB not installed (apt-get install influxdb): the peer comparison was skipped.',
    );
  }
  return section;
}
