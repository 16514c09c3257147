import { expect } from 'vitest';
import type { Store } from '../../src/store/database.ts';

// The traffic test/multi-process.test.ts sends, as a plan (how many writes of each kind, and
// the values each carries), and what the database must hold after it: every accepted write
// once, in order, with an unbroken chain of revisions.

export const VISIBLE_METRICS = 5;
export const VISIBLE_WRITES = 8;
export const VISIBLE_DATES = ['2024-01-01', '2024-02-01', '2024-03-01'];
export const WORKIVA_METRICS = 3;
export const WORKIVA_BATCHES = 6;
/** Periods of each small Workiva batch: the months of 2023 and 2024. */
export const WORKIVA_PERIODS = 24;
/** The batch in flight when its API process is killed: big enough that it is still being read and handled. */
export const BIG_BATCH_VALUES = 30_000;
export const BIG_BATCH_LATER = 2;
export const ACHIEVEIT_METRICS = 2;
export const NATIVE_METRICS = 2;
export const CSV_FILES = 4;
export const CSV_ROWS = 25;
/** The import its worker is killed in the middle of: several seconds of work on this machine. */
export const BIG_IMPORT_ROWS = 60_000;
export const VITALLY_USERS = 3;
export const VITALLY_BATCHES = 8;
export const VITALLY_TRACKS = 4;
/** Traffic waits at this write of each metric until the worker has been killed. */
export const GATE = 2;

export const day = (base: string, plus: number) => {
  const d = new Date(`${base}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + plus);
  return d.toISOString().slice(0, 10);
};
const monthStart = (year: number, month: number) => `${year}-${String(month).padStart(2, '0')}-01`;

// Every write, as planned: what each point's revisions must hold, in order.
export const visibleValue = (seq: number, d: number) => `${seq}.${d + 1}`;
export const workivaValue = (seq: number, p: number) => String(seq * 100 + p);
export const workivaPeriod = (p: number) => ({
  year: 2023 + Math.floor(p / 12),
  start: (p % 12) + 1,
  end: (p % 12) + 1,
});
export const bigPeriod = (i: number) => ({
  year: 1900 + Math.floor(i / 12),
  start: (i % 12) + 1,
  end: (i % 12) + 1,
});
export const bigValue = (i: number) => String(1_000_000 + i);
export const csvDate = (f: number, r: number) => day('2000-01-01', f * CSV_ROWS + r);
export const csvValue = (f: number, r: number) => String(f * 1000 + r);

export interface CsvFile {
  metricId: string;
  file: number;
  /** The job its answer named; undefined when it got no answer (it may or may not exist). */
  jobId?: string;
}

/** Every job completed; the big import after its worker died; Workiva: one job per batch, none twice. */
export async function checkJobs(
  store: Store,
  p: { bigImportJob: string; workivaOps: { op: string; values: number }[]; csvFiles: CsvFile[] },
) {
  const jobs = await store.db
    .selectFrom('jobs')
    .select(['id', 'kind', 'status', 'attempts', 'received', 'applied'])
    .execute();
  expect(jobs.filter((j) => j.status !== 'completed')).toEqual([]);
  const big = jobs.find((j) => j.id === p.bigImportJob);
  // Claimed again after its worker was killed, and applied whole.
  expect(big?.attempts).toBeGreaterThanOrEqual(2);
  expect(big?.applied).toBe(BIG_IMPORT_ROWS);
  console.log(`the big import: ${big?.attempts} attempts`);
  const workiva = jobs.filter((j) => j.kind === 'workiva.batchUpsertion');
  expect(workiva.map((j) => j.id).sort()).toEqual(p.workivaOps.map((o) => o.op).sort());
  for (const o of p.workivaOps) expect(workiva.find((j) => j.id === o.op)?.applied).toBe(o.values);
  for (const f of p.csvFiles.filter((x) => x.jobId))
    expect(jobs.find((j) => j.id === f.jobId)?.applied, `job of file ${f.file}`).toBe(CSV_ROWS);
}

/**
 * Every point's revisions form an unbroken chain ending at its value; per metric the
 * values are exactly the accepted writes, in order; each CSV file applied once or (not
 * accepted) not at all.
 */
export async function checkPoints(
  store: Store,
  p: {
    visibleIds: string[];
    workivaIds: string[];
    bigBatchId: string;
    bigImportId: string;
    bigImportJob: string;
    csvFiles: CsvFile[];
  },
) {
  const points = await store.db
    .selectFrom('data_points')
    .select(['id', 'metric_id', 'period_start', 'value', 'deleted_at'])
    .execute();
  const revisions = await store.db
    .selectFrom('point_revisions')
    .select(['id', 'point_id', 'op', 'old_value', 'new_value', 'job_id'])
    .orderBy('point_id')
    .orderBy('id')
    .execute();
  const chains = new Map<string, typeof revisions>();
  for (const r of revisions) {
    const chain = chains.get(r.point_id);
    if (chain) chain.push(r);
    else chains.set(r.point_id, [r]);
  }
  const chainOf = (pointId: string) => chains.get(pointId) ?? [];

  const broken: string[] = [];
  for (const point of points) {
    const chain = chainOf(point.id);
    const where = `point ${point.metric_id} ${point.period_start}`;
    if (point.deleted_at !== null) broken.push(`${where}: deleted`);
    if (chain.length === 0) broken.push(`${where}: no revision`);
    chain.forEach((r, i) => {
      const [op, old] = i === 0 ? ['insert', null] : ['update', chain[i - 1].new_value];
      if (r.op !== op || r.old_value !== old || r.new_value === r.old_value)
        broken.push(`${where}: revision ${i} ${r.op} ${r.old_value} → ${r.new_value}, after ${old}`);
    });
    if (chain.length > 0 && chain[chain.length - 1].new_value !== point.value)
      broken.push(`${where}: value ${point.value}, last revision ${chain[chain.length - 1].new_value}`);
  }
  expect(broken.slice(0, 20)).toEqual([]);
  const pointIds = new Set(points.map((x) => x.id));
  expect(
    [...chains.keys()].filter((id) => !pointIds.has(id)),
    'revisions of no point',
  ).toEqual([]);

  // The values each point went through, by metric and period start.
  const seen = new Map<string, (string | null)[]>();
  for (const point of points)
    seen.set(
      `${point.metric_id} ${point.period_start}`,
      chainOf(point.id).map((r) => r.new_value),
    );
  const expected = new Map<string, string[]>();
  const plan = (metricId: string, start: string, value: string) => {
    const key = `${metricId} ${start}`;
    expected.set(key, [...(expected.get(key) ?? []), value]);
  };
  for (const metricId of p.visibleIds)
    for (let seq = 1; seq <= VISIBLE_WRITES; seq++)
      for (const [d, date] of VISIBLE_DATES.entries()) plan(metricId, date, visibleValue(seq, d));
  p.workivaIds.forEach((metricId) => {
    for (let seq = 1; seq <= WORKIVA_BATCHES; seq++)
      for (let q = 0; q < WORKIVA_PERIODS; q++) {
        const { year, start } = workivaPeriod(q);
        plan(metricId, monthStart(year, start), workivaValue(seq, q));
      }
  });
  for (let i = 0; i < BIG_BATCH_VALUES; i++) {
    const { year, start } = bigPeriod(i);
    plan(p.bigBatchId, monthStart(year, start), bigValue(i));
  }
  for (let seq = 2; seq <= 1 + BIG_BATCH_LATER; seq++)
    for (let q = 0; q < 12; q++) plan(p.bigBatchId, monthStart(1900, q + 1), workivaValue(seq, q));
  const planned = [...p.visibleIds, ...p.workivaIds, p.bigBatchId];
  const wrong: string[] = [];
  for (const [key, values] of expected) {
    const got = seen.get(key);
    if (JSON.stringify(got) !== JSON.stringify(values))
      wrong.push(`${key}: ${JSON.stringify(got)} ≠ ${values}`);
  }
  const extra = [...seen.keys()].filter((k) => planned.includes(k.split(' ')[0]) && !expected.has(k));
  expect(wrong.slice(0, 20)).toEqual([]);
  expect(extra).toEqual([]);

  // The big import: each row once, by its one job, after its worker was killed mid-job.
  const bigPoints = points.filter((x) => x.metric_id === p.bigImportId);
  expect(bigPoints).toHaveLength(BIG_IMPORT_ROWS);
  const bigJobs = new Set(bigPoints.flatMap((x) => chainOf(x.id).map((r) => r.job_id)));
  expect([...bigJobs]).toEqual([p.bigImportJob]);

  // CSV files: an accepted one applied once, by its job; an unanswered one whole or not at all.
  for (const metricId of new Set(p.csvFiles.map((f) => f.metricId))) {
    const byJob = new Map<string, Set<string>>();
    for (const point of points.filter((x) => x.metric_id === metricId)) {
      const chain = chainOf(point.id);
      expect(chain, `CSV points are written once: ${point.period_start}`).toHaveLength(1);
      const job = String(chain[0].job_id);
      byJob.set(job, (byJob.get(job) ?? new Set()).add(`${point.period_start}=${point.value}`));
    }
    const files = p.csvFiles.filter((f) => f.metricId === metricId);
    const rowsOf = (f: number) =>
      Array.from({ length: CSV_ROWS }, (_, r) => `${csvDate(f, r)}=${csvValue(f, r)}`).sort();
    for (const [job, rows] of byJob) {
      const file = files.find((f) => JSON.stringify(rowsOf(f.file)) === JSON.stringify([...rows].sort()));
      expect(file, `job ${job} wrote exactly one file's rows`).toBeDefined();
      if (file?.jobId) expect(job).toBe(file.jobId);
    }
    for (const f of files.filter((x) => x.jobId))
      expect(byJob.get(f.jobId as string)?.size, `file ${f.file} of ${metricId}`).toBe(CSV_ROWS);
    const unanswered = files.filter((x) => !x.jobId).length;
    if (unanswered > 0)
      console.log(
        `${unanswered} unanswered CSV upload(s) of ${metricId}; ${byJob.size - (files.length - unanswered)} applied`,
      );
  }
}

/** Every Vitally message stored once: each event once, each trait change once, the last one current. */
export async function checkAnalytics(store: Store) {
  const events = await store.db.selectFrom('analytics_events').select(['message_id']).execute();
  const sentEvents = Array.from({ length: VITALLY_USERS }, (_, u) =>
    Array.from({ length: VITALLY_BATCHES }, (_, k) =>
      Array.from({ length: VITALLY_TRACKS }, (_, i) => `mp-u${u}-${k + 1}-t${i}`),
    ),
  ).flat(2);
  expect(events.map((e) => e.message_id).sort()).toEqual(sentEvents.sort());
  const changes = await store.db.selectFrom('analytics_trait_history').select(['message_id']).execute();
  const sentUsers = Array.from({ length: VITALLY_USERS }, (_, u) =>
    Array.from({ length: VITALLY_BATCHES }, (_, k) => `mp-u${u}-${k + 1}`),
  ).flat();
  expect(changes.map((c) => c.message_id).sort()).toEqual(sentUsers.sort());
  const users = await store.db
    .selectFrom('analytics_entities')
    .select(['external_id', 'traits'])
    .where('kind', '=', 'user')
    .orderBy('external_id')
    .execute();
  expect(users.map((u) => [u.external_id, JSON.parse(u.traits)])).toEqual(
    Array.from({ length: VITALLY_USERS }, (_, u) => [`mp-u${u}`, { seq: VITALLY_BATCHES }]),
  );
}
