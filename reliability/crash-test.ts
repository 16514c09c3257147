// npm run crash-test -- N: per engine, the API (no in-process worker) and a separate
// `kpihub worker`, killed with SIGKILL at random moments N times (and restarted), while Workiva
// batches, AchieveIt CSV imports and native CSV imports are submitted and a reader polls the
// values. At the end, with every job finished: each accepted point stored exactly once, the
// revision counts exact, and no poll saw a partial batch. Exits non-zero on any loss.
//
// Partial batches: every batch (or file) writes one tag, its own number, as the value of all
// the points it touches, and the "shared" metrics' batches all touch the same points. A poll
// (one GET, one snapshot) of such a metric must see either no points or all of them carrying
// a single tag; anything else is a batch seen half applied.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../bench/server.ts';
import type { BenchServer } from '../bench/types.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/store/database.ts';
import { type ScratchDatabase, scratchDatabases } from './engines.ts';
import { machine, writeSection } from './report.ts';

const CYCLES = Number(process.argv[2] ?? process.env.CRASH_CYCLES ?? 20);
const SHARED_POINTS = 24; // Workiva: 2020-2021, one point a month
const CSV_ROWS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  engine: string;
  kills: number;
  accepted: { workivaShared: number; workivaUnique: number; achieveit: number; native: number };
  polls: number;
  partials: number;
  lost: string[];
  seconds: number;
}

async function api(
  server: BenchServer,
  method: string,
  path: string,
  body?: string,
  type = 'application/json',
) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.key}`,
      ...(body === undefined ? {} : { 'content-type': type }),
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: () => JSON.parse(text), text };
}

function startWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['dist/kpihub.mjs', 'worker'], {
    env: { ...process.env, ...env, KPIHUB_WORKERS: '2', KPIHUB_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function runEngine(db: ScratchDatabase, dir: string): Promise<Outcome> {
  const started = Date.now();
  const env = {
    KPIHUB_DATABASE_URL: db.url,
    KPIHUB_DATA_DIR: dir,
    KPIHUB_WORKERS: '0',
    // A killed worker's lease runs out quickly, so its job is taken up again within the run.
    KPIHUB_JOB_LEASE_SECONDS: '2',
    KPIHUB_JOB_POLL_MS: '50',
  };
  const server = await startServer(dir, env);
  const out: Outcome = {
    engine: db.engine,
    kills: 0,
    accepted: { workivaShared: 0, workivaUnique: 0, achieveit: 0, native: 0 },
    polls: 0,
    partials: 0,
    lost: [],
    seconds: 0,
  };
  let worker = startWorker(env);
  try {
    const dataset = (
      await api(server, 'POST', '/v1/datasets', JSON.stringify({ name: 'Crash test' }))
    ).json();
    const metric = async (name: string, external?: string) =>
      (
        await api(
          server,
          'POST',
          '/v1/metrics',
          JSON.stringify({ name, dataset_id: dataset.id, ...(external ? { external_id: external } : {}) }),
        )
      ).json().id as string;
    const shared = await metric('Workiva shared');
    const unique = await metric('Workiva unique');
    const achieveit = await metric('AchieveIt shared', 'crash-ach');
    const native = await metric('Native unique');
    const base = `/prototype/platform/programs/${dataset.id}/metrics`;

    let done = false;
    let lastSharedTag = 0;
    // The reader: one GET per shared metric, as fast as the server answers.
    const reader = (async () => {
      while (!done) {
        for (const [id, size] of [
          [shared, SHARED_POINTS],
          [achieveit, CSV_ROWS],
        ] as const) {
          const res = await api(server, 'GET', `/v1/metrics/${id}/data_points?limit=100`);
          if (res.status !== 200) continue;
          const body = res.json();
          const items: { value: string }[] = body.items ?? body.data_points;
          out.polls++;
          const tags = new Set(items.map((p) => p.value));
          if (!(items.length === 0 || (items.length === size && tags.size === 1))) {
            out.partials++;
            process.stdout.write(
              `  partial: metric ${id}: ${items.length} points, tags ${[...tags].join(',')}\n`,
            );
          }
        }
      }
    })();
    // The killer: N times, SIGKILL at a random moment, then a new worker.
    const killer = (async () => {
      for (let i = 0; i < CYCLES; i++) {
        await sleep(300 + Math.random() * 1200);
        worker.kill('SIGKILL');
        await new Promise((r) =>
          worker.exitCode !== null || worker.signalCode ? r(null) : worker.once('exit', r),
        );
        out.kills++;
        worker = startWorker(env);
      }
    })();
    // The submitter: a round of each kind until the killer is done.
    let round = 0;
    let killing = true;
    void killer.then(() => {
      killing = false;
    });
    while (killing) {
      round++;
      const tag = String(round);
      const sharedBody = {
        data: Array.from({ length: SHARED_POINTS }, (_, k) => ({
          reportingPeriod: { year: 2020 + Math.floor(k / 12), start: (k % 12) + 1, end: (k % 12) + 1 },
          value: tag,
        })),
      };
      if (
        (await api(server, 'POST', `${base}/${shared}/values/batchUpsertion`, JSON.stringify(sharedBody)))
          .status === 202
      ) {
        out.accepted.workivaShared++;
        lastSharedTag = round;
      }
      const uniqueBody = {
        data: Array.from({ length: 12 }, (_, k) => ({
          reportingPeriod: { year: 1500 + round, start: k + 1, end: k + 1 },
          value: tag,
        })),
      };
      if (
        (await api(server, 'POST', `${base}/${unique}/values/batchUpsertion`, JSON.stringify(uniqueBody)))
          .status === 202
      )
        out.accepted.workivaUnique++;
      const ach = Array.from(
        { length: CSV_ROWS },
        (_, k) => `crash-ach,${tag},2020-01-${String(k + 1).padStart(2, '0')}`,
      );
      const achRes = await api(
        server,
        'POST',
        `/api/metricupdates/crash-${round}.csv`,
        `${ach.join('\n')}\n`,
        'text/csv',
      );
      if (achRes.status === 200) out.accepted.achieveit++;
      const day = (k: number) =>
        new Date(Date.UTC(2000, 0, 1) + (round * CSV_ROWS + k) * 86_400_000).toISOString().slice(0, 10);
      const nat = Array.from({ length: CSV_ROWS }, (_, k) => `${native},${day(k)},${tag}`);
      const natRes = await api(
        server,
        'POST',
        '/v1/imports',
        `metric_id,date,value\n${nat.join('\n')}\n`,
        'text/csv',
      );
      if (natRes.status === 202) out.accepted.native++;
      await sleep(50);
    }

    // Every job finished (the last worker is left running).
    const store = openStore(loadConfig({ KPIHUB_DATABASE_URL: db.url }).database);
    try {
      const deadline = Date.now() + 600_000;
      for (;;) {
        const rows = await store.db
          .selectFrom('jobs')
          .select(['status'])
          .select((eb) => eb.fn.countAll().as('n'))
          .where('internal', '=', 0)
          .groupBy('status')
          .execute();
        const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
        if (!by.queued && !by.running) {
          if (by.failed) out.lost.push(`${by.failed} jobs failed`);
          break;
        }
        if (Date.now() > deadline) {
          out.lost.push(`jobs unfinished after 10 minutes: ${JSON.stringify(by)}`);
          break;
        }
        await sleep(200);
      }
      done = true;
      await reader;

      const count = async (metricId: string) =>
        Number(
          (
            await store.db
              .selectFrom('data_points')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('metric_id', '=', metricId)
              .executeTakeFirstOrThrow()
          ).n,
        );
      const expectCount = async (what: string, metricId: string, expected: number) => {
        const n = await count(metricId);
        if (n !== expected) out.lost.push(`${what}: ${n} points stored, ${expected} expected`);
      };
      const a = out.accepted;
      await expectCount('Workiva shared', shared, a.workivaShared ? SHARED_POINTS : 0);
      await expectCount('Workiva unique', unique, 12 * a.workivaUnique);
      await expectCount('AchieveIt shared', achieveit, a.achieveit ? CSV_ROWS : 0);
      await expectCount('native unique', native, CSV_ROWS * a.native);
      // One revision per write of a point: every shared batch wrote each shared point once.
      for (const [what, metricId, writes] of [
        ['Workiva shared', shared, a.workivaShared],
        ['AchieveIt shared', achieveit, a.achieveit],
        ['Workiva unique', unique, 1],
        ['native unique', native, 1],
      ] as const) {
        const rows = await store.db
          .selectFrom('point_revisions')
          .select(['point_id'])
          .select((eb) => eb.fn.countAll().as('n'))
          .where('metric_id', '=', metricId)
          .groupBy('point_id')
          .execute();
        const wrong = rows.filter((r) => Number(r.n) !== writes);
        if (wrong.length)
          out.lost.push(`${what}: ${wrong.length} points without exactly ${writes} revisions`);
      }
      // Batches for one metric apply in the order accepted: the last one's tag is what stays.
      const last = await store.db
        .selectFrom('data_points')
        .select('value')
        .distinct()
        .where('metric_id', '=', shared)
        .execute();
      if (a.workivaShared && (last.length !== 1 || Number(last[0].value) !== lastSharedTag))
        out.lost.push(
          `Workiva shared: final values ${last.map((r) => r.value).join(',')}, expected ${lastSharedTag}`,
        );
    } finally {
      await store.close();
    }
  } finally {
    worker.kill('SIGKILL');
    await server.stop();
  }
  out.seconds = Math.round((Date.now() - started) / 1000);
  return out;
}

async function main() {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'kpihub-crash-'));
  const outcomes: Outcome[] = [];
  try {
    for (const db of await scratchDatabases(dir)) {
      const engineDir = mkdtempSync(join(dir, `${db.engine}-`));
      process.stdout.write(`== ${db.engine}: ${CYCLES} kill -9 cycles\n`);
      try {
        const o = await runEngine(db, engineDir);
        outcomes.push(o);
        process.stdout.write(
          `  kills ${o.kills}, accepted ${JSON.stringify(o.accepted)}, polls ${o.polls}, partial ${o.partials}, lost ${o.lost.length ? o.lost.join('; ') : 0}, ${o.seconds} s\n`,
        );
      } finally {
        await db.drop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = outcomes.map((o) => {
    const a = o.accepted;
    const points =
      a.workivaShared * SHARED_POINTS + a.workivaUnique * 12 + (a.achieveit + a.native) * CSV_ROWS;
    return `| ${o.engine} | ${o.kills} | ${a.workivaShared + a.workivaUnique} | ${a.achieveit} | ${a.native} | ${points.toLocaleString('en-US')} | ${o.polls.toLocaleString('en-US')} | ${o.partials} | ${o.lost.length ? o.lost.join('; ') : 0} | ${o.seconds} s |`;
  });
  writeSection(
    'crash',
    `## Crash test (kill -9 of the worker)

\`npm run crash-test -- ${CYCLES}\` on ${machine()}, ${new Date().toISOString().slice(0, 10)}.
The API runs with \`KPIHUB_WORKERS=0\` and a separate \`kpihub worker\` (2 workers, 2 s lease) is killed with
SIGKILL at a random moment (0.3–1.5 s apart) and restarted, ${CYCLES} times per engine, while Workiva batches
(24 shared points, 12 new points), AchieveIt CSV files (10 shared rows) and native CSV imports (10 new rows)
are submitted and a reader polls the shared metrics. Lost: a point missing or doubled, a revision count off,
a failed job, or the last Workiva batch's values not the ones kept. Partial: a poll that saw a shared metric
with some but not all of its points, or with two batches' tags at once.

| engine | kills | Workiva batches | AchieveIt files | native imports | points accepted | polls | partial | lost | duration |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`,
  );
  const bad = outcomes.some((o) => o.partials > 0 || o.lost.length > 0);
  process.stdout.write(bad ? 'LOSS OR PARTIAL BATCH: see above\n' : 'no loss, no partial batch\n');
  if (bad) process.exit(1);
}

await main();
