import { newId } from '../src/core/ids.ts';
import { onEngines, type SectionPart, withPgServer, withServer } from './engines.ts';
import { pgCopyMerge } from './pg-floors.ts';
import { rawUpsert } from './raw-upsert.ts';
import { medianOfRounds } from './rounds.ts';
import type { BenchEnv, BenchServer } from './types.ts';

const BATCH_BYTES = 10 * 1024 * 1024 - 64 * 1024;

interface Value {
  reportingPeriod: { year: number; start: number; end: number };
  coordinates: Record<string, string>;
  value: string;
}

/** Value n of the run: a distinct (month, site) identity and a decimal value. */
function valueAt(n: number, dimensionId: string): Value {
  const month = (n % 12) + 1;
  return {
    reportingPeriod: { year: 1000 + Math.floor(n / 120), start: month, end: month },
    coordinates: { [dimensionId]: `Site ${Math.floor(n / 12) % 10}` },
    value: `${(n * 37) % 100000}.${String(n % 100).padStart(2, '0')}`,
  };
}

/** Bodies of just under 10 MB each, `total` values in all. */
function batches(total: number, dimensionId: string): { body: string; count: number }[] {
  const out: { body: string; count: number }[] = [];
  let n = 0;
  while (n < total) {
    const parts: string[] = [];
    let bytes = 10;
    while (n < total && bytes < BATCH_BYTES) {
      const s = JSON.stringify(valueAt(n++, dimensionId));
      parts.push(s);
      bytes += s.length + 1;
    }
    out.push({ body: `{"data":[${parts.join(',')}]}`, count: parts.length });
  }
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The ceiling: the same identities upserted raw (see raw-upsert.ts). */
function rawPoints(dim: string) {
  return (n: number) => {
    const v = valueAt(n, dim);
    const { year, start, end } = v.reportingPeriod;
    return {
      start: `${year}-${pad(start)}-01`,
      end: `${year}-${pad(end)}-${pad(lastDay(year, end))}`,
      coordKey: JSON.stringify([v.coordinates[dim]]),
      coordinates: JSON.stringify(v.coordinates),
      value: v.value,
    };
  };
}

async function call(url: string, key: string, init: RequestInit = {}) {
  return fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
}

/** One round on a fresh server: the batches posted one after another, polled to completed. */
async function batchRound(server: BenchServer, total: number) {
  const created = await call(`${server.url}/v1/datasets`, server.key, {
    method: 'POST',
    body: JSON.stringify({
      name: 'Sustainability',
      metrics: [{ name: 'Energy', value_type: 'number', dimensions: [{ name: 'Site' }] }],
    }),
  });
  if (created.status !== 201) throw new Error(`dataset: ${created.status} ${await created.text()}`);
  const program = (await created.json()) as {
    id: string;
    metrics: { id: string; dimensions: { id: string }[] }[];
  };
  const metric = program.metrics[0];
  const bodies = batches(total, metric.dimensions[0].id);
  const url = `${server.url}/prototype/platform/programs/${program.id}/metrics/${metric.id}/values/batchUpsertion`;

  const accepted: number[] = [];
  const locations: string[] = [];
  const started = performance.now();
  for (const { body } of bodies) {
    const t = performance.now();
    const res = await call(url, server.key, {
      method: 'POST',
      body,
      headers: { 'x-version': '2022-01-01' },
    });
    if (res.status !== 202) throw new Error(`batchUpsertion ${res.status}: ${await res.text()}`);
    accepted.push(performance.now() - t);
    locations.push(res.headers.get('location') as string);
  }
  // Batches of one metric apply in order: the last one completing means all have.
  for (const location of locations) {
    for (;;) {
      const res = await call(location, server.key);
      const op = (await res.json()) as { status: string; details?: unknown };
      if (op.status === 'completed') break;
      if (op.status === 'failed') throw new Error(`operation failed: ${JSON.stringify(op.details)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    rate: total / seconds,
    seconds,
    acceptMs: accepted.reduce((a, b) => a + b, 0) / accepted.length,
    batches: bodies.length,
    mb: bodies.reduce((s, b) => s + b.body.length, 0) / 2 ** 20,
  };
}

function sqliteBatchRound(env: BenchEnv, total: number) {
  return withServer(env.startServer, (server) => batchRound(server, total));
}

export function run(env: BenchEnv) {
  return onEngines(
    (engines) =>
      `Workiva batchUpsertion: 10 MB asynchronous batches (${engines}, API + worker in one process)`,
    {
      sqlite: () => sqliteHalf(env),
      postgres: () => postgresHalf(env),
    },
  );
}

/**
 * Issue 14: the batches on PostgreSQL against COPY of the same values into a staging
 * table and one merge (with their revision rows) per batch, one transaction per batch as
 * the worker applies them; alternating rounds, each measurement in a schema of its own.
 */
async function postgresHalf(env: BenchEnv): Promise<SectionPart> {
  const total = env.quick ? 40_000 : 270_000;
  // Values per 10 MB batch (the dimension id is a UUID whichever it is): the floor commits as often.
  const perBatch = batches(total, newId())[0].count;
  const m = await medianOfRounds(env.quick ? 1 : 3, async () => {
    const floor = await pgCopyMerge(total, rawPoints(newId()), { perTransaction: perBatch });
    const batch = await withPgServer(env.startServer, (server) => batchRound(server, total));
    return { floor, ...batch, ratio: batch.rate / floor };
  });
  return {
    figures: [
      {
        name: `COPY into a staging table + one INSERT … SELECT … ON CONFLICT merge with revision rows, per ${perBatch.toLocaleString('en-US')}-value batch`,
        value: m.floor,
        unit: 'points/s',
      },
      { name: 'batchUpsertion, first byte to operation completed', value: m.rate, unit: 'points/s' },
      {
        name: 'time to the 202 (body received, validated, job stored), mean per batch',
        value: m.acceptMs,
        unit: 'ms',
      },
    ],
    ratios: [{ name: 'batchUpsertion / COPY + merge', value: m.ratio, target: 0.6 }],
    notes: [
      `${total.toLocaleString('en-US')} values in ${m.batches} batches (${m.mb.toFixed(1)} MB) in ${m.seconds.toFixed(1)} s; ` +
        `median of ${m.rounds} alternating rounds (floor, batches), each in a freshly migrated schema.`,
    ],
  };
}

async function sqliteHalf(env: BenchEnv): Promise<SectionPart> {
  const total = env.quick ? 40_000 : 270_000;
  const m = await medianOfRounds(env.quick ? 1 : 3, async () => {
    const raw = await rawUpsert(env.dir, total, rawPoints(newId()));
    const floor = await rawUpsert(env.dir, total, rawPoints(newId()), { revisions: true });
    const batch = await sqliteBatchRound(env, total);
    return { raw, floor, ...batch, floorRatio: floor / raw, ratio: batch.rate / raw };
  });
  return {
    figures: [
      {
        name: 'raw better-sqlite3 upsert of the same points (1,000 a transaction)',
        value: m.raw,
        unit: 'points/s',
      },
      { name: 'raw upsert + one revision row per point (same loop)', value: m.floor, unit: 'points/s' },
      { name: 'batchUpsertion, first byte to operation completed', value: m.rate, unit: 'points/s' },
      {
        name: 'time to the 202 (body received, validated, job stored), mean per batch',
        value: m.acceptMs,
        unit: 'ms',
      },
    ],
    ratios: [
      { name: 'raw upsert with revisions / raw upsert (the floor with revisions)', value: m.floorRatio },
      { name: 'batchUpsertion / raw upsert', value: m.ratio, target: 0.7 },
    ],
    notes: [
      `${total.toLocaleString('en-US')} values in ${m.batches} batches (${m.mb.toFixed(1)} MB) on one metric ` +
        `with one dimension, in ${m.seconds.toFixed(1)} s; each batch is one transaction with a revision per value.`,
      `Median of ${m.rounds} alternating rounds (raw, floor, batches; ratios taken within each round).`,
    ],
  };
}
