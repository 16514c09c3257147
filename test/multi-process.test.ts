import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/database.ts';
import { createTestDatabase, engines, type TestDatabase } from './helpers/engines.ts';
import { type Answer, type Api, Fleet, sendInFlight } from './helpers/fleet.ts';
import {
  ACHIEVEIT_METRICS,
  BIG_BATCH_LATER,
  BIG_BATCH_VALUES,
  BIG_IMPORT_ROWS,
  bigPeriod,
  bigValue,
  CSV_FILES,
  CSV_ROWS,
  type CsvFile,
  checkAnalytics,
  checkJobs,
  checkPoints,
  csvDate,
  csvValue,
  day,
  GATE,
  NATIVE_METRICS,
  VISIBLE_DATES,
  VISIBLE_METRICS,
  VISIBLE_WRITES,
  VITALLY_BATCHES,
  VITALLY_TRACKS,
  VITALLY_USERS,
  visibleValue,
  WORKIVA_BATCHES,
  WORKIVA_METRICS,
  WORKIVA_PERIODS,
  workivaPeriod,
  workivaValue,
} from './helpers/multi-process-plan.ts';
import { type KpihubProcess, startKpihub, startServe } from './helpers/processes.ts';

// Issue 14: many processes on one PostgreSQL, proven. Three API processes (`kpihub serve`
// with KPIHUB_WORKERS=0) and two `kpihub worker` processes share one database. Mixed
// traffic — Visible PUTs, Workiva batches, AchieveIt and native CSV imports, Vitally
// batches — goes round-robin over the API processes, so consecutive writes of one metric
// go through different processes; each write carries values of its own (its sequence
// number) so that order can be read back. Midway, the worker running a big import is
// SIGKILLed (the other worker, or its replacement, takes the job over once the lease
// expires), and an API process is SIGKILLed while a big Workiva batch is in flight to it
// (and whatever else it was answering). A request that got no answer is not accepted: it is
// sent again to another process where that is safe (Visible PUT: an upsert of the same
// values; Workiva and native imports: the same Idempotency-Key; Vitally: the same
// messageIds), and an AchieveIt upload (no key) is left as "may or may not".
// At the end the database is read directly: every accepted write applied exactly once, in
// order per metric, with an unbroken revision chain; every job completed; every analytics
// message stored once.
//
// PostgreSQL only: SQLite is one file on one machine, where several API processes are not
// how it scales (DESIGN.md, Scale); its worker and shutdown cases are in shutdown.test.ts.

const ADMIN = 'kph_multi_process_test_admin_key_0123456789';
const LEASE_SECONDS = 3;

/** Where the API processes spool uploads (a killed one leaves its files behind). */
const DATA_DIR = join(tmpdir(), `kpihub-multi-process-${process.pid}`);
const JSON_TYPE = { 'content-type': 'application/json' };

describe.runIf(engines().includes('postgres'))('many API and worker processes on one PostgreSQL', () => {
  let database: TestDatabase;
  let store: Store;
  const procs: KpihubProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    // What the processes warned of, if anything (a moment first: a failure may be seconds old in their pipes).
    await sleep(300);
    for (const p of procs) {
      const bad = p
        .output()
        .split('\n')
        .filter((l) => /"level":(40|50|60)/.test(l));
      if (bad.length) console.log(`process ${p.child.pid}:\n${bad.slice(0, 20).join('\n')}`);
    }
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await store?.close();
    await database?.drop();
    rmSync(DATA_DIR, { recursive: true, force: true });
  });

  it('applies every accepted write once, in order, through kills of a worker and an API process', {
    timeout: 150_000,
  }, async () => {
    const started = Date.now();
    const env = {
      KPIHUB_DATABASE_URL: database.env,
      KPIHUB_ADMIN_KEY: ADMIN,
      KPIHUB_JOB_POLL_MS: '50',
      KPIHUB_JOB_LEASE_SECONDS: String(LEASE_SECONDS),
      KPIHUB_PG_POOL_SIZE: '4',
      KPIHUB_DATA_DIR: DATA_DIR,
    };
    const apiEnv = { ...env, KPIHUB_WORKERS: '0' };
    const appName = `mp-${process.pid}`;
    const workerEnv = { ...env, KPIHUB_WORKERS: '2' };
    const startWorker = async () => {
      const w = startKpihub(['worker'], workerEnv);
      procs.push(w);
      await w.waitFor('worker started', 60_000);
      return w;
    };
    const apiProcs = await Promise.all(
      [0, 1, 2].map(async (i) => {
        // Each names its connections, so the test can see what its transactions are doing.
        const p = await startServe({ ...apiEnv, KPIHUB_PG_APPLICATION_NAME: `${appName}-api${i}` });
        procs.push(p);
        const api: Api = { name: `api${i}`, url: p.url, proc: p, killed: false };
        return api;
      }),
    );
    const workers = await Promise.all([startWorker(), startWorker()]);
    const fleet = new Fleet(apiProcs, ADMIN);
    store = openStore(database.url);
    await slowCommitOf(store, (database.url as { schema: string }).schema, BIG_BATCH_KEY);
    console.log(`processes up in ${Date.now() - started} ms`);

    // One dataset (also the Workiva program) with every metric the traffic writes.
    const names = [
      ...Array.from({ length: VISIBLE_METRICS }, (_, i) => ({ name: `visible ${i}` })),
      ...Array.from({ length: WORKIVA_METRICS + 1 }, (_, i) => ({ name: `workiva ${i}` })),
      ...Array.from({ length: ACHIEVEIT_METRICS }, (_, i) => ({
        name: `achieveit ${i}`,
        external_id: `mp-a${i}`,
      })),
      ...Array.from({ length: NATIVE_METRICS }, (_, i) => ({ name: `native ${i}` })),
      { name: 'big import' },
    ];
    const created = await fleet.send(
      apiProcs[0],
      'POST',
      '/v1/datasets',
      JSON.stringify({ name: 'Fleet', metrics: names.map((m) => ({ ...m, value_type: 'number' })) }),
      JSON_TYPE,
    );
    expect(created?.status, created?.text).toBe(201);
    const programId = JSON.parse(created?.text ?? '{}').id as string;
    const ids = (JSON.parse(created?.text ?? '{}').metrics as { id: string }[]).map((m) => m.id);
    const take = (n: number) => ids.splice(0, n);
    const visibleIds = take(VISIBLE_METRICS);
    const workivaIds = take(WORKIVA_METRICS);
    const [bigBatchId] = take(1);
    const achieveItIds = take(ACHIEVEIT_METRICS);
    const nativeIds = take(NATIVE_METRICS);
    const [bigImportId] = take(1);

    const jobRow = (id: string) =>
      store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    // The big import, accepted before the traffic starts; its worker is killed mid-job.
    const bigCsv = ['metric_id,date,value']
      .concat(
        Array.from({ length: BIG_IMPORT_ROWS }, (_, i) => `${bigImportId},${day('1800-01-01', i)},${i}`),
      )
      .join('\n');
    const bigImport = await fleet.send(apiProcs[0], 'POST', '/v1/imports', `${bigCsv}\n`, {
      'content-type': 'text/csv',
    });
    expect(bigImport?.status, bigImport?.text).toBe(202);
    const bigImportJob = JSON.parse(bigImport?.text ?? '{}').id as string;
    for (let i = 0; i < 400 && (await jobRow(bigImportJob)).status !== 'running'; i++) await sleep(50);
    const leased = await jobRow(bigImportJob);
    expect(leased.status).toBe('running');

    let workerKilled: () => void = () => {};
    const afterWorkerKill = new Promise<void>((r) => {
      workerKilled = r;
    });
    const planned =
      VISIBLE_METRICS * VISIBLE_WRITES +
      WORKIVA_METRICS * WORKIVA_BATCHES +
      (ACHIEVEIT_METRICS + NATIVE_METRICS) * CSV_FILES +
      VITALLY_USERS * VITALLY_BATCHES;
    let accepted = 0;
    let halfway: () => void = () => {};
    const atHalfway = new Promise<void>((r) => {
      halfway = r;
    });
    const acceptedOne = () => {
      if (++accepted >= planned * 0.4) halfway();
    };
    const stats = { unanswered: [] as string[], conflicts: {} as Record<string, number> };
    /** Which processes accepted each metric's (or Vitally user's) writes. */
    const acceptedBy = new Map<string, Set<string>>();
    const noteVia = (what: string, via: string) =>
      acceptedBy.set(what, (acceptedBy.get(what) ?? new Set()).add(via));

    // Kill the worker that holds the big import, once it is well into it; a replacement
    // starts (as a process manager would start one) while the traffic goes on.
    const killWorker = async () => {
      await sleep(800);
      const pid = Number(/:(\d+):/.exec(leased.lease_owner ?? '')?.[1]);
      const victim = workers.find((w) => w.child.pid === pid);
      expect(victim, `lease owner ${leased.lease_owner}`).toBeDefined();
      victim?.child.kill('SIGKILL');
      await victim?.exited;
      // Still running under the dead worker's lease: it was killed mid-job, nothing of it applied.
      expect(await jobRow(bigImportJob)).toMatchObject({
        status: 'running',
        lease_owner: leased.lease_owner,
        attempts: 1,
        applied: 0,
      });
      const replacement = startWorker();
      workerKilled();
      await replacement;
    };

    /**
     * A request with an Idempotency-Key, until it is accepted (202): sent again elsewhere
     * when unanswered, and later when 409 (its first request was accepted, its answer lost,
     * and the job is not finished yet; once it is, the retry gets that job back).
     */
    const untilAccepted = async (
      n: number,
      path: string,
      body: string,
      headers: Record<string, string>,
      first?: Answer,
    ) => {
      const deadline = Date.now() + 60_000;
      let answer = first;
      for (let attempt = 0; ; attempt++) {
        if (answer?.status === 202) {
          noteVia(path.replace(/\/values\/.*$/, ''), answer.via);
          return answer;
        }
        if (answer) {
          expect(answer.status, answer.text).toBe(409);
          const key = headers['idempotency-key'];
          stats.conflicts[key] = (stats.conflicts[key] ?? 0) + 1;
          await sleep(200);
        }
        expect(Date.now(), `${path} with ${headers['idempotency-key']} never accepted`).toBeLessThan(
          deadline,
        );
        answer = await fleet.send(fleet.at(n + attempt), 'POST', path, body, headers);
        if (!answer) stats.unanswered.push(`POST ${path} (${headers['idempotency-key']})`);
      }
    };
    /** A Workiva batch, until it is accepted; its operation id. */
    const workivaBatch = async (n: number, metricId: string, body: string, key: string, first?: Answer) => {
      const path = `/prototype/platform/programs/${programId}/metrics/${metricId}/values/batchUpsertion`;
      const answer = await untilAccepted(n, path, body, { ...JSON_TYPE, 'idempotency-key': key }, first);
      const op = /\/prototype\/platform\/operations\/([0-9a-f-]{36})$/.exec(answer.headers.location ?? '');
      expect(op, answer.headers.location).not.toBeNull();
      return (op as RegExpExecArray)[1];
    };

    const visibleLoop = async (m: number) => {
      for (let seq = 1; seq <= VISIBLE_WRITES; seq++) {
        if (seq === GATE) await afterWorkerKill;
        const points = VISIBLE_DATES.map((date, d) => ({ date, value: visibleValue(seq, d) }));
        // Unanswered: the same upsert again elsewhere. Applied already, it changes nothing.
        const { answer, unanswered } = await fleet.sendUntilAnswered(
          m + seq,
          'PUT',
          `/metrics/${visibleIds[m]}/data_points`,
          JSON.stringify({ data_points: points }),
          JSON_TYPE,
        );
        for (let i = 0; i < unanswered; i++) stats.unanswered.push(`Visible PUT ${m}/${seq}`);
        expect(answer.status, answer.text).toBe(200);
        noteVia(`visible ${m}`, answer.via);
        expect(JSON.parse(answer.text).data_points.map((p: { value: string }) => p.value)).toEqual(
          points.map((p) => p.value),
        );
        acceptedOne();
      }
    };

    const workivaOps: { op: string; values: number }[] = [];
    const workivaLoop = async (m: number) => {
      for (let seq = 1; seq <= WORKIVA_BATCHES; seq++) {
        if (seq === GATE) await afterWorkerKill;
        const data = Array.from({ length: WORKIVA_PERIODS }, (_, p) => ({
          reportingPeriod: workivaPeriod(p),
          value: workivaValue(seq, p),
        }));
        // Sent as soon as the previous one is accepted, not applied: the queue keeps their order.
        const op = await workivaBatch(m + seq, workivaIds[m], JSON.stringify({ data }), `mp-w${m}-${seq}`);
        workivaOps.push({ op, values: data.length });
        acceptedOne();
      }
    };

    // The big batch goes to api1 at the halfway mark; api1 is killed once its body is sent.
    let bigBatchAnswered: Answer | undefined;
    const bigBatchLoop = async () => {
      await atHalfway;
      const victim = apiProcs[1];
      const data = Array.from({ length: BIG_BATCH_VALUES }, (_, i) => ({
        reportingPeriod: bigPeriod(i),
        value: bigValue(i),
      }));
      const body = JSON.stringify({ data });
      const path = `/prototype/platform/programs/${programId}/metrics/${bigBatchId}/values/batchUpsertion`;
      const inFlight = sendInFlight(victim, ADMIN, path, body, {
        ...JSON_TYPE,
        'idempotency-key': BIG_BATCH_KEY,
      });
      await inFlight.sent;
      // Killed once its job's commit has begun: accepted, and its answer lost.
      await until(() => committing(store, `${appName}-api1`), 'the big batch committing');
      victim.killed = true;
      victim.proc.child.kill('SIGKILL');
      bigBatchAnswered = await inFlight.answer;
      if (!bigBatchAnswered) stats.unanswered.push('the big Workiva batch');
      const op = await workivaBatch(0, bigBatchId, body, BIG_BATCH_KEY, bigBatchAnswered);
      workivaOps.push({ op, values: BIG_BATCH_VALUES });
      for (let seq = 2; seq <= 1 + BIG_BATCH_LATER; seq++) {
        const later = Array.from({ length: 12 }, (_, p) => ({
          reportingPeriod: bigPeriod(p),
          value: workivaValue(seq, p),
        }));
        const laterOp = await workivaBatch(seq, bigBatchId, JSON.stringify({ data: later }), `mp-big-${seq}`);
        workivaOps.push({ op: laterOp, values: later.length });
      }
    };

    const csvFiles: CsvFile[] = [];
    const achieveItLoop = async (a: number) => {
      for (let f = 0; f < CSV_FILES; f++) {
        if (f + 1 === GATE) await afterWorkerKill;
        const rows = Array.from(
          { length: CSV_ROWS },
          (_, r) => `mp-a${a},${csvValue(f, r)},${csvDate(f, r)}`,
        );
        const csv = ['External ID,Current Metric Value,As Of Date', ...rows].join('\n');
        // No Idempotency-Key here: an unanswered upload is not sent again, and may or may not exist.
        const answer = await fleet.send(fleet.at(a + f), 'POST', `/api/metricupdates/mp-${a}-${f}.csv`, csv, {
          'content-type': 'text/csv',
        });
        if (!answer) stats.unanswered.push(`AchieveIt file ${a}/${f}`);
        else {
          expect(answer.status, answer.text).toBe(200);
          noteVia(`achieveit ${a}`, answer.via);
        }
        csvFiles.push({ metricId: achieveItIds[a], file: f, jobId: answer && JSON.parse(answer.text).jobId });
        acceptedOne();
      }
    };
    const nativeLoop = async (c: number) => {
      for (let f = 0; f < CSV_FILES; f++) {
        if (f + 1 === GATE) await afterWorkerKill;
        const rows = Array.from(
          { length: CSV_ROWS },
          (_, r) => `${nativeIds[c]},${csvDate(f, r)},${csvValue(f, r)}`,
        );
        const csv = ['metric_id,date,value', ...rows].join('\n');
        // Unanswered: the same file with the same Idempotency-Key elsewhere; it makes one job.
        const answer = await untilAccepted(c + f, '/v1/imports', csv, {
          'content-type': 'text/csv',
          'idempotency-key': `mp-n${c}-${f}`,
        });
        const jobId = JSON.parse(answer.text).id as string;
        csvFiles.push({ metricId: nativeIds[c], file: f, jobId });
        acceptedOne();
      }
    };

    const vitallyLoop = async (u: number) => {
      for (let k = 1; k <= VITALLY_BATCHES; k++) {
        if (k === GATE) await afterWorkerKill;
        const userId = `mp-u${u}`;
        const timestamp = new Date(Date.UTC(2024, 0, 1, 0, 0, k)).toISOString();
        const batch = [
          { type: 'user', userId, traits: { seq: k }, messageId: `${userId}-${k}`, timestamp },
          ...Array.from({ length: VITALLY_TRACKS }, (_, i) => ({
            type: 'track',
            userId,
            event: 'mp-ping',
            properties: { seq: k, i },
            messageId: `${userId}-${k}-t${i}`,
            timestamp,
          })),
        ];
        // Unanswered: the same messages again elsewhere; their messageIds make it harmless.
        const { answer, unanswered } = await fleet.sendUntilAnswered(
          u + k,
          'POST',
          '/analytics/v1/batch',
          JSON.stringify(batch),
          JSON_TYPE,
        );
        for (let i = 0; i < unanswered; i++) stats.unanswered.push(`Vitally batch ${u}/${k}`);
        noteVia(`vitally ${u}`, answer.via);
        expect(answer.status, answer.text).toBe(200);
        acceptedOne();
      }
    };

    const trafficStarted = Date.now();
    await Promise.all([
      killWorker(),
      bigBatchLoop(),
      ...visibleIds.map((_, m) => visibleLoop(m)),
      ...workivaIds.map((_, m) => workivaLoop(m)),
      ...achieveItIds.map((_, a) => achieveItLoop(a)),
      ...nativeIds.map((_, c) => nativeLoop(c)),
      ...Array.from({ length: VITALLY_USERS }, (_, u) => vitallyLoop(u)),
    ]);
    expect(fleet.unexpected).toEqual([]);
    // The big batch was in flight when its process died: it got no answer, but its job was
    // committed; its retries were refused (409) while that job ran, then got it back.
    expect(bigBatchAnswered).toBeUndefined();
    expect(stats.conflicts[BIG_BATCH_KEY]).toBeGreaterThanOrEqual(1);
    expect(stats.unanswered.length).toBeGreaterThanOrEqual(1);
    // Round-robin: every metric's writes went through more than one process, and each process took some.
    expect([...acceptedBy].filter(([, via]) => via.size < 2)).toEqual([]);
    expect(new Set([...acceptedBy.values()].flatMap((via) => [...via])).size).toBe(3);

    // Every accepted Workiva operation completes, as the surviving processes report it.
    for (const [n, { op }] of workivaOps.entries()) {
      let status = '';
      for (let i = 0; i < 600 && status !== 'completed' && status !== 'failed'; i++) {
        if (i > 0) await sleep(100);
        const res = await fleet.send(fleet.at(n + i), 'GET', `/prototype/platform/operations/${op}`);
        expect(res?.status, res?.text).toBe(200);
        status = JSON.parse(res?.text ?? '{}').status;
      }
      expect(status, `operation ${op}`).toBe('completed');
    }
    // And every job ends: none stuck under a dead worker's lease.
    const unfinished = () =>
      store.db
        .selectFrom('jobs')
        .select(['id', 'kind', 'status', 'lease_owner', 'lease_expires_at'])
        .where('status', 'in', ['staging', 'queued', 'running'])
        .execute();
    for (let i = 0; i < 600 && (await unfinished()).length > 0; i++) await sleep(100);
    expect(await unfinished()).toEqual([]);
    console.log(
      `traffic and jobs done in ${Date.now() - trafficStarted} ms; ${accepted} writes accepted, ` +
        `retries answered 409: ${JSON.stringify(stats.conflicts)}; unanswered: ${stats.unanswered.join(', ')}`,
    );

    await checkJobs(store, { bigImportJob, workivaOps, csvFiles });
    await checkPoints(store, {
      visibleIds,
      workivaIds,
      bigBatchId,
      bigImportId,
      bigImportJob,
      csvFiles,
    });
    await checkAnalytics(store);
    console.log(`whole test ${Date.now() - started} ms`);
  });
});

/** The Idempotency-Key of the batch whose API process is killed while its job commits. */
const BIG_BATCH_KEY = 'mp-big-1';

/**
 * Widens the moment between a job's commit and its answer, for one Idempotency-Key: a
 * deferred trigger makes that transaction's COMMIT sleep in PostgreSQL, which finishes the
 * commit even when its client dies meanwhile. Killing the API process then leaves what a
 * crash at that moment leaves: a job accepted, its answer never sent.
 */
async function slowCommitOf(store: Store, schema: string, key: string): Promise<void> {
  const fn = sql.id(schema, 'mp_slow_commit');
  await sql`
    create function ${fn}() returns trigger language plpgsql as $$
    begin
      if new.idempotency_key = ${sql.lit(key)} then perform pg_sleep(1.5); end if;
      return null;
    end $$`.execute(store.db);
  await sql`
    create constraint trigger mp_slow_commit after insert on ${sql.table('jobs')}
    deferrable initially deferred for each row execute function ${fn}()`.execute(store.db);
}

/** Whether a connection of `applicationName` is sleeping in that COMMIT. */
async function committing(store: Store, applicationName: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where application_name like ${`${applicationName}%`} and wait_event = 'PgSleep'`.execute(store.db);
  return rows[0].n > 0;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not in time`);
    await sleep(20);
  }
}
