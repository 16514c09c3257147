import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../src/cli/api-client.ts';
import { getImport, uploadImport } from '../src/cli/import-client.ts';
import { RowEstimate } from '../src/cli/import-report.ts';
import { createMetric } from '../src/core/metrics.ts';
import { jobHandlers } from '../src/job-handlers.ts';
import { Worker } from '../src/jobs/index.ts';
import { createStorage } from '../src/store/storage.ts';
import { useTestContext } from './helpers/app.ts';
import { type CliResult, kpihub } from './helpers/cli.ts';

// `kpihub import` as a user runs it: a child process talking HTTP to a real server (the
// app listening in this process, with a worker). The command is only an HTTP client, so
// one engine is enough here; the import itself is tested on both in test/v1. Each spawn
// costs a second or two: four of them, the rest is checked in-process.

describe('kpihub import', () => {
  const ctx = useTestContext('sqlite');
  const dir = mkdtempSync(join(tmpdir(), 'kpihub-cli-import-'));
  let url: string;
  let worker: Worker;
  let revenue: string;

  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const points = () =>
    ctx()
      .store.db.selectFrom('data_points')
      .select(['metric_id', 'period_start', 'value', 'notes'])
      .orderBy('period_start')
      .execute();
  const noKey = (r: CliResult, key: string) => expect(r.stdout + r.stderr).not.toContain(key);
  const mappingArgs = ['--metric-external-id', 'KPI', '--date', 'Day', '--value', 'Amount', '--notes', 'Why'];

  beforeAll(async () => {
    url = await ctx().app.listen({ host: '127.0.0.1', port: 0 });
    worker = new Worker({ store: ctx().store, handlers: jobHandlers, pollMs: 20 }).start();
    const actor = { orgId: ctx().orgA.id, actor: 'setup', keyId: 'setup', scopes: ['admin'] as const };
    revenue = (
      await createMetric(createStorage(ctx().store), actor, null, { name: 'Revenue', external_id: 'REV' })
    ).id;
  });
  afterAll(async () => {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a good CSV with the mapping options, follows the job to completed, stores the points', async () => {
    const text = 'KPI,Day,Amount,Why\nREV,2024-01-01,10,start\nREV,2024-01-02,11.5,\n';
    const csv = file('good.csv', text);
    const key = ctx().orgA.write;
    const r = await kpihub(['import', csv, '--key', key, ...mappingArgs], { KPIHUB_URL: url });
    expect(r.code, r.stderr).toBe(0);
    // stdout is a pipe: plain lines, no bar.
    expect(r.stdout).toMatch(/^import \S+ queued \(uploaded good\.csv, (\d+) B\)$/m);
    expect(r.stdout).toContain(`(uploaded good.csv, ${text.length} B)`);
    expect(r.stdout).toMatch(/^import \S+ completed in \d+ m?s: 2 rows read, 2 applied$/m);
    expect(r.stdout).not.toContain('\x1b[');
    noKey(r, key);
    expect(await points()).toEqual([
      { metric_id: revenue, period_start: '2024-01-01', value: '10', notes: 'start' },
      { metric_id: revenue, period_start: '2024-01-02', value: '11.5', notes: null },
    ]);
  });

  let failedId: string;

  it('exits 1 on a file with bad rows, naming each line and column, and stores nothing', async () => {
    const before = await points();
    const csv = file(
      'bad.csv',
      'KPI,Day,Amount,Why\nREV,2024-02-01,1,\nREV,2024-02-02,12%,\nNOPE,2024-02-03,3,\n',
    );
    const key = ctx().orgA.write;
    const r = await kpihub(['import', csv, ...mappingArgs], { KPIHUB_URL: url, KPIHUB_API_KEY: key });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^import \S+ failed in \d+ m?s: 3 rows read, 0 applied, 2 rejected$/m);
    expect(r.stdout).toMatch(/^ {2}line 3, column Amount \(lines\[3\]\.value\): .+$/m);
    expect(r.stdout).toMatch(/^ {2}line 4, column KPI \(lines\[4\]\.metric_id\): .*NOPE.*$/m);
    noKey(r, key);
    expect(await points()).toEqual(before);
    failedId = /^import (\S+) failed/m.exec(r.stdout)?.[1] as string;
  });

  it('import status <id> shows the ended job with its errors (exit 1: it failed)', async () => {
    const key = ctx().orgA.read;
    const r = await kpihub(['import', 'status', failedId, '--max-errors', '1'], {
      KPIHUB_URL: url,
      KPIHUB_API_KEY: key,
    });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain(`import ${failedId} failed`);
    expect(r.stdout).toContain('first 1 of 2 errors:');
    expect(r.stdout).toMatch(/^ {2}line 3, column Amount/m);
    expect(r.stdout).not.toContain('line 4');
    noKey(r, key);
  });

  it('--dry-run checks a NDJSON file and stores nothing', async () => {
    const before = await points();
    const nd = file(
      'rows.ndjson',
      `{"metric_id":"${revenue}","date":"2024-03-01","value":1}\n{"metric_id":"${revenue}","date":"2024-03-02","value":2}\n`,
    );
    const r = await kpihub(['import', nd, '--dry-run', '--no-progress'], {
      KPIHUB_URL: url,
      KPIHUB_API_KEY: ctx().orgA.write,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^import \S+ completed in .+: dry run, 2 rows checked, nothing stored$/m);
    expect(await points()).toEqual(before);
  });

  // The refusals, through the same client the command uses (no process needed).
  it('a refused upload is an ApiError with the problem fields, and nothing is queued', async () => {
    const jobs = async () => (await ctx().store.db.selectFrom('jobs').select('id').execute()).length;
    const before = await jobs();
    const csv = file('refused.csv', 'KPI,Day,Amount\nREV,2024-04-01,1\n');
    const conn = { url, key: ctx().orgA.write };
    const bad = await uploadImport(conn, csv, { format: 'csv', mapping: { value: 'Amount' } }).catch(
      (e) => e,
    );
    expect(bad).toBeInstanceOf(ApiError);
    expect(bad.status).toBe(422);
    expect(bad.errors.map((e: { field: string }) => e.field)).toEqual(['mapping.metric_id', 'mapping.date']);
    const unauthorized = await uploadImport({ url, key: 'kph_nope' }, csv, { format: 'csv' }).catch((e) => e);
    expect(unauthorized).toMatchObject({ status: 401 });
    const readOnly = await uploadImport({ url, key: ctx().orgA.read }, csv, { format: 'csv' }).catch(
      (e) => e,
    );
    expect(readOnly).toMatchObject({ status: 403 });
    expect(await jobs()).toBe(before);
  });

  it("another organization's key gets 404 on an import", async () => {
    const err = await getImport({ url, key: ctx().orgB.admin }, failedId).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(404);
    expect(err.message).not.toContain('NOPE');
  });

  it('estimates rows from the newlines it streams: CSV minus the header, NDJSON, none for JSON', () => {
    const seen = (format: string, header: boolean, ...chunks: string[]) => {
      const e = new RowEstimate(format, header);
      for (const c of chunks) e.see(Buffer.from(c));
      return e.rows();
    };
    expect(seen('csv', true, 'a,b\n1,', '2\n3,4\n')).toBe(2);
    expect(seen('csv', true, 'a,b\n1,2\n3,4')).toBe(2);
    expect(seen('csv', false, '1,2\n3,4\n')).toBe(2);
    expect(seen('ndjson', true, '{}\n{}\n{}')).toBe(3);
    expect(seen('json', true, '[{},\n{}]')).toBeUndefined();
  });
});
