// Issue 5's benchmark: a generated 1,000,000-row AchieveIt CSV (about 35 MB), from the
// first byte of the upload to the job's status answering 200, in rows per second, and the
// server's peak memory meanwhile. The same file as a native dry run (parsed and checked,
// not written) shows how much of the time is the write.
import { createReadStream, createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { onEngines, type SectionPart, withPgServer } from './engines.ts';
import { pgCopyMerge } from './pg-floors.ts';
import { type RawPoint, rawUpsert } from './raw-upsert.ts';
import { medianOfRounds } from './rounds.ts';
import type { BenchEnv, BenchServer } from './types.ts';

const TARGET_ROWS_PER_SECOND = 150_000;
const RSS_LIMIT_MB = 250;

const externalId = (m: number) => `Revenue KPI ${String(m).padStart(4, '0')}`;

/**
 * `rows` rows over `metrics` metrics, grouped by metric (as exports list them), one row a
 * day per metric: `Revenue KPI 0042,1234.56,2021-03-04` (about 35 bytes).
 */
async function writeCsv(path: string, rows: number, metrics: number): Promise<number> {
  const out = createWriteStream(path);
  const perMetric = Math.ceil(rows / metrics);
  const day0 = Date.UTC(2021, 0, 1);
  const dates = Array.from({ length: perMetric }, (_, d) =>
    new Date(day0 + d * 86_400_000).toISOString().slice(0, 10),
  );
  let buf = 'External ID,Current Metric Value,As Of Date\n';
  for (let i = 0; i < rows; i++) {
    const value = (((i * 7919) % 1_000_000) / 100).toFixed(2);
    buf += `${externalId(Math.floor(i / perMetric))},${value},${dates[i % perMetric]}\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(buf, resolve);
  });
  return statSync(path).size;
}

async function createMetrics(server: BenchServer, count: number): Promise<void> {
  const headers = { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' };
  for (let start = 0; start < count; start += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, count - start) }, async (_, i) => {
        const m = start + i;
        const res = await fetch(`${server.url}/v1/metrics`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ name: externalId(m), external_id: externalId(m) }),
        });
        if (res.status !== 201) throw new Error(`metric ${m}: ${res.status} ${await res.text()}`);
      }),
    );
  }
}

/** The server's process: the child of this one listening on the server's port (Linux). */
function serverPid(server: BenchServer): number | undefined {
  const port = new URL(server.url).port;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`PORT=${port}`))
        return Number(entry);
    } catch {}
  }
  return undefined;
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Sends the file as the seed's curl does (--data-binary) and polls until the job ends. */
async function upload(server: BenchServer, url: string, path: string, statusUrl: (id: string) => string) {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `API-KEY ${server.key}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: Readable.toWeb(createReadStream(path)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const accepted = (await res.json()) as { jobId?: string; id?: string };
  const queuedAt = performance.now();
  if (!res.ok) throw new Error(`upload: ${res.status} ${JSON.stringify(accepted)}`);
  const id = accepted.jobId ?? accepted.id ?? '';
  for (;;) {
    const status = await fetch(statusUrl(id), { headers: { authorization: `API-KEY ${server.key}` } });
    const body = (await status.json()) as { status?: string };
    const state = body.status as string;
    if (status.status !== 202 && state !== 'queued' && state !== 'running') {
      if (status.status >= 300 || state === 'failed') throw new Error(`job ${id}: ${JSON.stringify(body)}`);
      return { seconds: (performance.now() - t0) / 1000, uploadSeconds: (queuedAt - t0) / 1000 };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The metrics created, the file uploaded as AchieveIt's and applied: timings and peak RSS. */
async function applyFile(server: BenchServer, path: string, metrics: number) {
  await createMetrics(server, metrics);
  const pid = serverPid(server);
  const full = await upload(
    server,
    `${server.url}/api/metricupdates/achieveit-updates.csv`,
    path,
    (id) => `${server.url}/api/metricupdates/status/${id}`,
  );
  return { ...full, peak: pid === undefined ? Number.NaN : peakRssMb(pid) };
}

const day = (n: number) => new Date(Date.UTC(2021, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
/** The floors' points: as many as the file's rows, one metric, a day each. */
const floorPoint = (n: number): RawPoint => ({
  start: day(n),
  end: day(n),
  coordKey: '',
  coordinates: null,
  value: '12.34',
});

export async function run(env: BenchEnv) {
  const rows = Number(process.env.BENCH_CSV_ROWS) || (env.quick ? 100_000 : 1_000_000);
  const metrics = env.quick ? 100 : 1_000;
  const path = join(env.dir, 'achieveit-updates.csv');
  const bytes = await writeCsv(path, rows, metrics);
  return onEngines((engines) => `CSV import: AchieveIt file upload to job completed (${engines})`, {
    sqlite: () => sqliteHalf(env, path, rows, metrics, bytes),
    postgres: () => postgresHalf(env, path, rows, metrics),
  });
}

/**
 * Issue 14: the same file applied on PostgreSQL against COPY of as many points into a
 * staging table and one merge with their revision rows, in one transaction as the import
 * is (no parsing, no checks, no HTTP). Alternating rounds (floor, file), each file in a freshly
 * migrated schema; the ratio is taken within each round (PostgreSQL's figures moved by ±20 %
 * between runs, the floor as much as the import).
 */
async function postgresHalf(
  env: BenchEnv,
  path: string,
  rows: number,
  metrics: number,
): Promise<SectionPart> {
  const m = await medianOfRounds(env.quick ? 1 : 3, async () => {
    const floor = await pgCopyMerge(rows, floorPoint);
    const full = await withPgServer(env.startServer, (server) => applyFile(server, path, metrics));
    const rate = rows / full.seconds;
    return { floor, rate, ratio: rate / floor, ...full };
  });
  const { floor, rate } = m;
  return {
    figures: [
      { name: 'upload to job id (file stored)', value: m.uploadSeconds, unit: 's' },
      { name: 'upload to status 200 (applied)', value: m.seconds, unit: 's' },
      { name: 'applied', value: rate, unit: 'rows/s' },
      { name: 'server peak RSS (whole run up to the 200)', value: m.peak, unit: 'MB' },
      {
        name: 'COPY of the same count into a staging table + one merge with revision rows, one transaction (the floor)',
        value: floor,
        unit: 'points/s',
      },
    ],
    ratios: [
      { name: 'applied rows/s ÷ COPY + merge', value: m.ratio, target: 0.6 },
      { name: `${RSS_LIMIT_MB} MB ÷ server peak RSS`, value: RSS_LIMIT_MB / m.peak, target: 1 },
      {
        name: `applied rows/s ÷ ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')}`,
        value: rate / TARGET_ROWS_PER_SECOND,
        target: 1,
      },
    ],
    notes: [
      `The same file as on SQLite, on a server in a freshly migrated schema; the floor writes one metric (a day a point) in a schema of its own. Median of ${m.rounds} alternating rounds (floor, file; the ratio taken within each round).`,
    ],
  };
}

async function sqliteHalf(
  env: BenchEnv,
  path: string,
  rows: number,
  metrics: number,
  bytes: number,
): Promise<SectionPart> {
  // The floor: the same number of points upserted raw with their revision rows, in one
  // transaction as the import runs (no parsing, no checks, no HTTP).
  const floor = await rawUpsert(env.dir, rows, floorPoint, { revisions: true, perTransaction: rows });
  const server = await env.startServer();
  try {
    const full = await applyFile(server, path, metrics);
    const peak = full.peak;
    const mapping = encodeURIComponent(
      JSON.stringify({
        metric_external_id: 'External ID',
        value: 'Current Metric Value',
        date: 'As Of Date',
      }),
    );
    const dry = await upload(
      server,
      `${server.url}/v1/imports?format=csv&dry_run=true&mapping=${mapping}`,
      path,
      (id) => `${server.url}/v1/imports/${id}`,
    );
    const rate = rows / full.seconds;
    return {
      figures: [
        { name: 'rows', value: rows, unit: 'rows' },
        { name: 'file size', value: bytes / 2 ** 20, unit: 'MB' },
        { name: 'upload to job id (file stored)', value: full.uploadSeconds, unit: 's' },
        { name: 'upload to status 200 (applied)', value: full.seconds, unit: 's' },
        { name: 'applied', value: rate, unit: 'rows/s' },
        {
          name: 'parsed and checked, not written (native dry run)',
          value: rows / dry.seconds,
          unit: 'rows/s',
        },
        { name: 'server peak RSS (whole run up to the 200)', value: peak, unit: 'MB' },
        {
          name: 'raw upsert + one revision row per point, same count, one transaction (the floor)',
          value: floor,
          unit: 'points/s',
        },
      ],
      ratios: [
        {
          name: `applied rows/s ÷ ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')}`,
          value: rate / TARGET_ROWS_PER_SECOND,
          target: 1,
        },
        { name: `${RSS_LIMIT_MB} MB ÷ server peak RSS`, value: RSS_LIMIT_MB / peak, target: 1 },
        {
          name: `the floor ÷ ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')} (what the SQL alone allows)`,
          value: floor / TARGET_ROWS_PER_SECOND,
        },
      ],
      notes: [
        `${rows.toLocaleString('en-US')} rows over ${metrics} metrics, one row a day per metric, grouped by metric; header row; ISO dates.`,
        'Timed from the first byte of the upload to the status route answering 200; the file is one all-or-nothing transaction.',
        'Peak RSS is the server process high-water mark (VmHWM), API and worker in one process.',
      ],
    };
  } finally {
    await server.stop();
  }
}
