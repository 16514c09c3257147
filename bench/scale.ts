// Issue 14's scale section, on PostgreSQL (the engine several processes share): the same
// native PUT load through 1 and through 2 API processes, and the same queue of Workiva
// batches drained by 1 and by 2 worker processes; the ratios 2 ÷ 1 come from one run.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.ts';
import { pgAnswers, pgSchema, pgUnreachableNote } from './engines.ts';
import { ADMIN_KEY } from './server.ts';
import type { BenchEnv, BenchSection, BenchServer } from './types.ts';

const METRICS = 8;
/** Native PUT: 1,000-point batches, one connection per metric. */
const PUT_BATCHES = 25;
/** Workiva: batches of this many values, this many per metric (they apply in order per metric). */
const WORKIVA_VALUES = 10_000;
const WORKIVA_BATCHES = 3;

const DAY = 86_400_000;
const date = (n: number) => new Date(Date.UTC(2000, 0, 1) + n * DAY).toISOString().slice(0, 10);
const headers = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

async function json<T>(res: Response, want: number): Promise<T> {
  if (res.status !== want) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A dataset of METRICS metrics with one dimension, through `server`. */
async function dataset(server: BenchServer) {
  const res = await fetch(`${server.url}/v1/datasets`, {
    method: 'POST',
    headers: headers(server.key),
    body: JSON.stringify({
      name: 'Scale',
      metrics: Array.from({ length: METRICS }, (_, i) => ({
        name: `M${i}`,
        value_type: 'number',
        dimensions: [{ name: 'Site' }],
      })),
    }),
  });
  return json<{ id: string; metrics: { id: string; dimensions: { id: string }[] }[] }>(res, 201);
}

/** API processes (no workers) on one fresh schema, started one after the other. */
async function apiProcesses(env: BenchEnv, databaseUrl: string, n: number): Promise<BenchServer[]> {
  const out: BenchServer[] = [];
  for (let i = 0; i < n; i++)
    out.push(await env.startServer({ KPIHUB_DATABASE_URL: databaseUrl, KPIHUB_WORKERS: '0' }));
  return out;
}

/** Points/s of METRICS × PUT_BATCHES native PUTs, connection c writing metric c through process c mod n. */
async function putThrough(env: BenchEnv, processes: number): Promise<number> {
  const schema = await pgSchema('scale');
  const servers = await apiProcesses(env, schema.databaseUrl, processes);
  try {
    const { metrics } = await dataset(servers[0]);
    const started = performance.now();
    await Promise.all(
      metrics.map(async (m, c) => {
        const server = servers[c % servers.length];
        const dim = m.dimensions[0].id;
        for (let b = 0; b < PUT_BATCHES; b++) {
          const data_points = Array.from({ length: 1000 }, (_, j) => ({
            date: date(b * 1000 + j),
            value: String((b * 1000 + j) % 9973),
            coordinates: { [dim]: 'A' },
          }));
          const res = await fetch(`${server.url}/v1/metrics/${m.id}/data_points`, {
            method: 'PUT',
            headers: { ...headers(server.key), prefer: 'return=minimal' },
            body: JSON.stringify({ data_points }),
          });
          await json(res, 200);
        }
      }),
    );
    return (METRICS * PUT_BATCHES * 1000) / ((performance.now() - started) / 1000);
  } finally {
    for (const s of servers) await s.stop();
    await schema.drop();
  }
}

function startWorker(databaseUrl: string, dir: string): ChildProcess {
  return spawn(process.execPath, [...SERVER_NODE_FLAGS, 'dist/kpihub.mjs', 'worker'], {
    env: {
      ...process.env,
      KPIHUB_DATABASE_URL: databaseUrl,
      KPIHUB_DATA_DIR: mkdtempSync(join(dir, 'worker-')),
      KPIHUB_ADMIN_KEY: ADMIN_KEY,
      KPIHUB_WORKERS: '1',
      KPIHUB_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * Values/s of METRICS × WORKIVA_BATCHES batches queued first (no worker runs), then drained by
 * `workers` worker processes: from their spawn (start-up included, the same for both) to
 * the last batch completed.
 */
async function drainWith(env: BenchEnv, workers: number): Promise<number> {
  const schema = await pgSchema('scale');
  const [api] = await apiProcesses(env, schema.databaseUrl, 1);
  const children: ChildProcess[] = [];
  try {
    const program = await dataset(api);
    const locations: string[] = [];
    for (let b = 0; b < WORKIVA_BATCHES; b++) {
      for (const m of program.metrics) {
        const data = Array.from({ length: WORKIVA_VALUES }, (_, j) => {
          const n = b * WORKIVA_VALUES + j;
          const month = (n % 12) + 1;
          return {
            reportingPeriod: { year: 1000 + Math.floor(n / 120), start: month, end: month },
            coordinates: { [m.dimensions[0].id]: `Site ${Math.floor(n / 12) % 10}` },
            value: String(n % 9973),
          };
        });
        const res = await fetch(
          `${api.url}/prototype/platform/programs/${program.id}/metrics/${m.id}/values/batchUpsertion`,
          {
            method: 'POST',
            headers: { ...headers(api.key), 'x-version': '2022-01-01' },
            body: JSON.stringify({ data }),
          },
        );
        if (res.status !== 202) throw new Error(`batchUpsertion ${res.status}: ${await res.text()}`);
        locations.push(res.headers.get('location') as string);
      }
    }
    const started = performance.now();
    for (let i = 0; i < workers; i++) children.push(startWorker(schema.databaseUrl, env.dir));
    for (const location of locations) {
      for (;;) {
        const op = await json<{ status: string; details?: unknown }>(
          await fetch(location, { headers: headers(api.key) }),
          200,
        );
        if (op.status === 'completed') break;
        if (op.status === 'failed') throw new Error(`operation failed: ${JSON.stringify(op.details)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return (METRICS * WORKIVA_BATCHES * WORKIVA_VALUES) / ((performance.now() - started) / 1000);
  } finally {
    for (const c of children) {
      c.kill('SIGTERM');
      if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
    }
    await api.stop();
    await schema.drop();
  }
}

export async function run(env: BenchEnv): Promise<BenchSection> {
  const section: BenchSection = {
    title: 'Scale: API processes and workers on one PostgreSQL',
    figures: [],
    ratios: [],
    notes: [
      `Native PUT: ${METRICS} connections, each writing its own metric (${PUT_BATCHES} batches of 1,000 points), spread over the API processes (KPIHUB_WORKERS=0) round-robin.`,
      `Workiva: ${METRICS * WORKIVA_BATCHES} batches of ${WORKIVA_VALUES.toLocaleString('en-US')} values (${WORKIVA_BATCHES} per metric, applied in order per metric) queued with no worker running, then drained by \`kpihub worker\` processes of one job runner each, timed from their spawn.`,
      'Every measurement starts from a fresh schema; the processes run as `npm start` runs them, on the same 2 cores as PostgreSQL and the bench.',
    ],
  };
  if (!(await pgAnswers())) {
    section.notes?.push(pgUnreachableNote());
    return section;
  }
  // Alternating 1, 2, 1, 2: a drift of the machine shows in both.
  const puts: Record<number, number[]> = { 1: [], 2: [] };
  const drains: Record<number, number[]> = { 1: [], 2: [] };
  const rounds = env.quick ? 1 : 2;
  for (let r = 0; r < rounds; r++) {
    for (const n of [1, 2]) puts[n].push(await putThrough(env, n));
    for (const n of [1, 2]) drains[n].push(await drainWith(env, n));
  }
  const best = (xs: number[]) => Math.max(...xs);
  section.figures.push(
    { name: 'native PUT through 1 API process', value: best(puts[1]), unit: 'points/s' },
    { name: 'native PUT through 2 API processes', value: best(puts[2]), unit: 'points/s' },
    { name: 'Workiva batches drained by 1 worker process', value: best(drains[1]), unit: 'values/s' },
    { name: 'Workiva batches drained by 2 worker processes', value: best(drains[2]), unit: 'values/s' },
  );
  section.ratios.push(
    { name: 'native PUT: 2 API processes ÷ 1', value: best(puts[2]) / best(puts[1]) },
    { name: 'Workiva: 2 workers ÷ 1', value: best(drains[2]) / best(drains[1]) },
  );
  section.notes?.push(
    `Each figure is the best of ${rounds} round(s); every round: ${[1, 2].map((n) => `${n} process(es) ${puts[n].map((x) => Math.round(x)).join(', ')} points/s`).join('; ')}; ${[1, 2].map((n) => `${n} worker(s) ${drains[n].map((x) => Math.round(x)).join(', ')} values/s`).join('; ')}.`,
  );
  return section;
}
