// npm run soak: mixed traffic (native PUT and GET, Workiva batches, Vitally batches, AchieveIt
// files) for SOAK_SECONDS (300 unless set) against each engine (RELIABILITY_ENGINES), from
// SOAK_CONNECTIONS concurrent clients (8). Prints the p99 latency of each minute and the
// server's RSS every 10 s, counts errors, and records it all in docs/reliability.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../bench/server.ts';
import type { BenchServer } from '../bench/types.ts';
import { vitallyBatch } from '../bench/vitally.ts';
import { type ScratchDatabase, scratchDatabases } from './engines.ts';
import { machine, writeSection } from './report.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Minute {
  requests: number;
  p99: number;
  errors: number;
}
interface Outcome {
  engine: string;
  requests: number;
  byKind: Record<string, number>;
  errors: number;
  errorSamples: string[];
  minutes: Minute[];
  rss: number[];
}

const rssOf = (pid: number | undefined): number => {
  if (!pid) return 0;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
};
const p99 = (xs: number[]) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))];
};

async function runEngine(db: ScratchDatabase, dir: string): Promise<Outcome> {
  const server: BenchServer = await startServer(dir, { KPIHUB_DATABASE_URL: db.url, KPIHUB_DATA_DIR: dir });
  const out: Outcome = {
    engine: db.engine,
    requests: 0,
    byKind: {},
    errors: 0,
    errorSamples: [],
    minutes: [],
    rss: [],
  };
  const call = async (method: string, path: string, body?: string, type = 'application/json') => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.key}`,
        ...(body === undefined ? {} : { 'content-type': type }),
      },
      body,
    });
    return { status: res.status, text: await res.text() };
  };
  try {
    const dataset = JSON.parse((await call('POST', '/v1/datasets', JSON.stringify({ name: 'Soak' }))).text);
    const metrics: string[] = [];
    for (let i = 0; i < 10; i++) {
      const body = { name: `Soak ${i}`, dataset_id: dataset.id, external_id: `soak-${i}` };
      metrics.push(JSON.parse((await call('POST', '/v1/metrics', JSON.stringify(body))).text).id);
    }
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
    const day = (n: number) =>
      new Date(Date.UTC(2000, 0, 1) + (n % 9000) * 86_400_000).toISOString().slice(0, 10);
    let n = 0;
    // Each kind of traffic with its weight: mostly the native API, the dialects beside it.
    const kinds: [string, number, () => Promise<{ status: number; text: string }>][] = [
      [
        'native PUT',
        4,
        () =>
          call(
            'PUT',
            `/v1/metrics/${pick(metrics)}/data_points`,
            JSON.stringify({
              data_points: Array.from({ length: 50 }, (_, k) => ({
                date: day(n * 50 + k),
                value: String(n + k),
              })),
            }),
          ),
      ],
      ['native GET', 4, () => call('GET', `/v1/metrics/${pick(metrics)}/data_points?limit=100`)],
      ['native series', 1, () => call('GET', `/v1/metrics/${pick(metrics)}/series?granularity=month`)],
      [
        'Workiva batch',
        1,
        () =>
          call(
            'POST',
            `/prototype/platform/programs/${dataset.id}/metrics/${pick(metrics)}/values/batchUpsertion`,
            JSON.stringify({
              data: Array.from({ length: 12 }, (_, k) => ({
                reportingPeriod: { year: 1000 + (n % 1000), start: k + 1, end: k + 1 },
                value: String(n),
              })),
            }),
          ),
      ],
      ['Vitally batch', 2, () => call('POST', '/analytics/v1/batch', vitallyBatch(`soak${db.engine}`, n))],
      [
        'AchieveIt file',
        1,
        () =>
          call(
            'POST',
            `/api/metricupdates/soak-${n}.csv`,
            `${Array.from({ length: 20 }, (_, k) => `soak-${k % 10},${n}.${k},${day(n + k)}`).join('\n')}\n`,
            'text/csv',
          ),
      ],
    ];
    const weighted = kinds.flatMap((k) => Array.from({ length: k[1] }, () => k));
    const started = Date.now();
    const end = started + SECONDS * 1000;
    const latencies: number[][] = [];
    const errorsPerMinute: number[] = [];
    const client = async () => {
      while (Date.now() < end) {
        const [name, , send] = pick(weighted);
        n++;
        const t0 = performance.now();
        // Counted in the minute it started, so the last requests in flight stay in the last minute.
        const minute = Math.floor((Date.now() - started) / 60_000);
        let failed: string | undefined;
        try {
          const res = await send();
          if (res.status >= 400) failed = `${name}: ${res.status} ${res.text.slice(0, 200)}`;
        } catch (e) {
          failed = `${name}: ${(e as Error).message}`;
        }
        if (!latencies[minute]) latencies[minute] = [];
        latencies[minute].push(performance.now() - t0);
        out.requests++;
        out.byKind[name] = (out.byKind[name] ?? 0) + 1;
        if (failed) {
          out.errors++;
          errorsPerMinute[minute] = (errorsPerMinute[minute] ?? 0) + 1;
          if (out.errorSamples.length < 5) out.errorSamples.push(failed);
        }
      }
    };
    const sampler = (async () => {
      for (let t = 10; Date.now() < end; t += 10) {
        await sleep(Math.max(0, started + t * 1000 - Date.now()));
        const mb = rssOf(server.pid);
        out.rss.push(mb);
        process.stdout.write(`  ${t} s: RSS ${mb} MB, ${out.requests} requests, ${out.errors} errors\n`);
      }
    })();
    let printed = 0;
    const minutePrinter = setInterval(() => {
      const done = Math.floor((Date.now() - started) / 60_000);
      for (; printed < done; printed++) {
        process.stdout.write(
          `  minute ${printed + 1}: ${latencies[printed]?.length ?? 0} requests, p99 ${p99(latencies[printed] ?? []).toFixed(1)} ms\n`,
        );
      }
    }, 1000);
    await Promise.all([...Array.from({ length: CONNECTIONS }, client), sampler]);
    clearInterval(minutePrinter);
    out.minutes = latencies.map((xs, i) => ({
      requests: xs.length,
      p99: p99(xs),
      errors: errorsPerMinute[i] ?? 0,
    }));
    for (; printed < out.minutes.length; printed++) {
      const m = out.minutes[printed];
      process.stdout.write(`  minute ${printed + 1}: ${m.requests} requests, p99 ${m.p99.toFixed(1)} ms\n`);
    }
  } finally {
    await server.stop();
  }
  return out;
}

async function main() {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'kpihub-soak-'));
  const outcomes: Outcome[] = [];
  try {
    for (const db of await scratchDatabases(dir)) {
      process.stdout.write(`== ${db.engine}: ${SECONDS} s, ${CONNECTIONS} clients\n`);
      try {
        outcomes.push(await runEngine(db, mkdtempSync(join(dir, `${db.engine}-`))));
      } finally {
        await db.drop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const sections = outcomes.map(
    (o) => `### ${o.engine}

${o.requests.toLocaleString('en-US')} requests (${Object.entries(o.byKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}), ${o.errors} errors${o.errorSamples.length ? ` (e.g. ${o.errorSamples.map((s) => `\`${s.replace(/`/g, "'")}\``).join('; ')})` : ''}.

| minute | requests | p99 | errors |
|---|---|---|---|
${o.minutes.map((m, i) => `| ${i + 1} | ${m.requests.toLocaleString('en-US')} | ${m.p99.toFixed(1)} ms | ${m.errors} |`).join('\n')}

RSS of the server every 10 s (MB): ${o.rss.join(', ')}
`,
  );
  writeSection(
    'soak',
    `## Soak (mixed traffic)

\`SOAK_SECONDS=${SECONDS} SOAK_CONNECTIONS=${CONNECTIONS} npm run soak\` on ${machine()}, ${new Date().toISOString().slice(0, 10)};
the load generator and the server (with its in-process worker) share the machine. Traffic, by weight: native
PUT of 50 points 4, native GET 4, native series 1, Workiva batch of 12 values 1, Vitally batch 2, AchieveIt
file of 20 rows 1. An error is any answer of 400 or more, or a failed connection.

${sections.join('\n')}`,
  );
  const errors = outcomes.reduce((a, o) => a + o.errors, 0);
  process.stdout.write(`${errors} errors\n`);
  if (errors) process.exit(1);
}

await main();
