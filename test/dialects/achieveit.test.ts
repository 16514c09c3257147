import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMetric } from '../../src/core/metrics.ts';
import { jobHandlers } from '../../src/job-handlers.ts';
import { Worker } from '../../src/jobs/index.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

const run = promisify(execFile);

// AchieveIt's CSV upload (seeds/002): POST the file, get a Job ID, poll its status. A
// worker runs in this process: drain() applies whatever is queued.

describe.each(engines())('AchieveIt dialect [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const worker = () => new Worker({ store: ctx().store, handlers: jobHandlers, pollMs: 20 });
  const metricIds: Record<string, string> = {};
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kpihub-achieveit-'));
    const actor = { orgId: ctx().orgA.id, actor: 'setup', keyId: 'setup', scopes: ['admin'] as const };
    for (const ext of ['KPI-001', 'Sales Growth (EMEA)', 'NPS']) {
      metricIds[ext] = (
        await createMetric(createStorage(ctx().store), actor, null, { name: ext, external_id: ext })
      ).id;
    }
  });

  const points = () =>
    ctx()
      .store.db.selectFrom('data_points')
      .select(['metric_id', 'period_start', 'period_end', 'value', 'notes', 'status'])
      .orderBy('metric_id')
      .orderBy('period_start')
      .execute();
  // The seed's request: --data-binary sends the file as application/x-www-form-urlencoded.
  const upload = (csv: string, file = 'metricupdates', key = ctx().orgA.write, name = 'my_updates.csv') =>
    ctx().app.inject({
      method: 'POST',
      url: `/api/${file}/${name}`,
      headers: { authorization: `API-KEY ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: csv,
    });
  const status = (jobId: string, file = 'metricupdates', key = ctx().orgA.read) =>
    ctx().app.inject({
      method: 'GET',
      url: `/api/${file}/status/${jobId}`,
      headers: { authorization: `API-KEY ${key}` },
    });
  /** Uploads, checks the 202 while queued, runs the worker, and answers the final status. */
  async function process(csv: string, file = 'metricupdates') {
    const res = await upload(csv, file);
    expect(res.statusCode, res.body).toBe(200);
    const { jobId } = res.json();
    expect((await status(jobId, file)).statusCode).toBe(202);
    await worker().drain();
    return status(jobId, file);
  }
  async function rejectedRow(csv: string) {
    const before = await points();
    const res = await process(csv);
    expect(res.statusCode, res.body).toBe(400);
    expect(await points()).toEqual(before);
    const body = res.json();
    expect(body.status).toBe('rejected');
    return body.errors as { line?: number; column?: string; field: string; reason: string }[];
  }

  describe('the seed curl samples, host replaced', () => {
    let url: string;
    beforeAll(async () => {
      url = await ctx().app.listen({ host: '127.0.0.1', port: 0 });
    });

    it('POST answers 200 with a Job ID; the status goes 202, then 200 once applied', async () => {
      const file = join(dir, 'my_updates.csv');
      writeFileSync(
        file,
        'External ID,Current Metric Value,As Of Date\nKPI-001,.2,03/31/2024\nNPS,42,2024-03-31\n',
      );
      const key = ctx().orgA.write;
      const post = await run('curl', [
        '-sS',
        '-L',
        '-XPOST',
        '-H',
        `Authorization: API-KEY ${key}`,
        '--data-binary',
        `@${file}`,
        `${url}/api/metricupdates/my_updates.csv`,
        '-w',
        '\n%{http_code}',
      ]);
      const [body, code] = post.stdout.split('\n');
      expect(code).toBe('200');
      const { jobId } = JSON.parse(body);
      expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
      const head = async () =>
        (
          await run('curl', [
            '-sS',
            '-LI',
            '-XGET',
            '-H',
            `Authorization: API-KEY ${key}`,
            `${url}/api/metricupdates/status/${jobId}`,
          ])
        ).stdout;
      expect(await head()).toMatch(/^HTTP\/1\.1 202/);
      await worker().drain();
      expect(await head()).toMatch(/^HTTP\/1\.1 200/);
      const stored = await points();
      expect(stored).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            metric_id: metricIds['KPI-001'],
            period_start: '2024-03-31',
            value: '0.2',
          }),
          expect.objectContaining({ metric_id: metricIds.NPS, period_start: '2024-03-31', value: '42' }),
        ]),
      );
    });
  });

  it('answers the status body: file name, counts, no errors', async () => {
    const res = await process('KPI-001,1,2024-01-01,first comment\n');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'completed',
      fileName: 'my_updates.csv',
      rowsRead: 1,
      rowsApplied: 1,
      errors: [],
    });
    const stored = (await points()).find(
      (p) => p.metric_id === metricIds['KPI-001'] && p.period_start === '2024-01-01',
    );
    expect(stored).toMatchObject({ value: '1', notes: 'first comment', period_end: '2024-01-01' });
  });

  it('takes the header row in any case and spacing, or none, and date-times with the time ignored', async () => {
    expect(
      (await process('external id , current metric value, as of date\nNPS,50,2024-02-01T23:30:00Z\n'))
        .statusCode,
    ).toBe(200);
    expect((await process('NPS,51,2/2/2024\n')).statusCode).toBe(200);
    const stored = (await points()).filter((p) => p.metric_id === metricIds.NPS);
    expect(stored.map((p) => [p.period_start, p.value])).toEqual(
      expect.arrayContaining([
        ['2024-02-01', '50'],
        ['2024-02-02', '51'],
      ]),
    );
  });

  it('applies progress updates with their statuses, in any capitalization', async () => {
    const res = await process(
      'External ID,Status,Current Metric Value,As Of Date,Comment\nKPI-001,at risk,3,2024-04-01,slipping\nNPS,ACHIEVED,60,04/01/2024\n',
      'progressupdates',
    );
    expect(res.statusCode, res.body).toBe(200);
    const stored = await points();
    expect(
      stored.find((p) => p.metric_id === metricIds['KPI-001'] && p.period_start === '2024-04-01'),
    ).toMatchObject({
      status: 'At Risk',
      notes: 'slipping',
      value: '3',
    });
    expect(stored.find((p) => p.metric_id === metricIds.NPS && p.period_start === '2024-04-01')?.status).toBe(
      'Achieved',
    );
  });

  describe('one rejection per rule: the status body names the line, and nothing is stored', () => {
    const good = 'KPI-001,5,2024-05-01\n';
    it('an empty row', async () => {
      const errors = await rejectedRow(`${good}\nNPS,1,2024-05-01\n`);
      expect(errors).toEqual([
        expect.objectContaining({ line: 2, reason: expect.stringContaining('empty row') }),
      ]);
    });
    it('"external" in the External ID', async () => {
      const errors = await rejectedRow(`${good}My External KPI,1,2024-05-01\n`);
      expect(errors).toEqual([
        expect.objectContaining({
          line: 2,
          column: 'External ID',
          reason: expect.stringContaining('"external"'),
        }),
      ]);
    });
    it('a comma in the External ID', async () => {
      const errors = await rejectedRow(`${good}"KPI,001",1,2024-05-01\n`);
      expect(errors).toEqual([
        expect.objectContaining({ line: 2, column: 'External ID', reason: expect.stringContaining('comma') }),
      ]);
    });
    it('a quote in the External ID', async () => {
      const errors = await rejectedRow(`${good}KPI"001,1,2024-05-01\n`);
      expect(errors).toEqual([
        expect.objectContaining({
          line: 2,
          column: 'External ID',
          reason: expect.stringContaining('quotation mark'),
        }),
      ]);
    });
    it('a percentage (20%)', async () => {
      const errors = await rejectedRow(`${good}NPS,20%,2024-05-01\n`);
      expect(errors).toEqual([
        expect.objectContaining({
          line: 2,
          column: 'Current Metric Value',
          reason: expect.stringContaining('decimal fractions (20% as 0.2)'),
        }),
      ]);
    });
    it('a date neither ISO-8601 nor MM/DD/YYYY', async () => {
      const errors = await rejectedRow(`${good}NPS,1,31.05.2024\n`);
      expect(errors).toEqual([
        expect.objectContaining({
          line: 2,
          column: 'As Of Date',
          reason: expect.stringContaining('not a date'),
        }),
      ]);
    });
    it('an unknown External ID (another organization’s counts as unknown)', async () => {
      const errors = await rejectedRow(`${good}KPI-404,1,2024-05-01\n`);
      expect(errors).toEqual([
        expect.objectContaining({
          line: 2,
          column: 'External ID',
          reason: expect.stringContaining('KPI-404'),
        }),
      ]);
    });
    it('every bad row of a file at once', async () => {
      const errors = await rejectedRow(`External ID,Current Metric Value,As Of Date\n${good}\nNPS,20%,x\n`);
      expect(errors.map((e) => [e.line, e.column ?? null])).toEqual([
        [3, null],
        [4, 'Current Metric Value'],
        [4, 'As Of Date'],
      ]);
    });
  });

  it('401 without a key, in the documented {message} shape, before anything is stored', async () => {
    const res = await ctx().app.inject({
      method: 'POST',
      url: '/api/metricupdates/x.csv',
      headers: { 'content-type': 'text/csv' },
      payload: 'KPI-001,1,2024-06-01\n',
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: expect.any(String) });
    const jobs = await ctx()
      .store.db.selectFrom('jobs')
      .select('id')
      .where('kind', 'like', 'achieveit.%')
      .execute();
    const status = await ctx().app.inject({ method: 'GET', url: `/api/metricupdates/status/${jobs[0].id}` });
    expect(status.statusCode).toBe(401);
    expect(status.json()).toEqual({ message: expect.any(String) });
  });

  it('403 for a read-only key on upload', async () => {
    const res = await upload('KPI-001,1,2024-06-01\n', 'metricupdates', ctx().orgA.read);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ message: expect.any(String) });
  });

  it("another organization's key gets 404 on the job's status, and never its data", async () => {
    const { jobId } = (await upload('KPI-001,1,2024-06-02\n')).json();
    const res = await status(jobId, 'metricupdates', ctx().orgB.admin);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ message: expect.any(String) });
    expect(res.body).not.toContain('KPI-001');
    // A job id of the other file kind, or no job id at all, is not found either.
    expect((await status(jobId, 'progressupdates')).statusCode).toBe(404);
    expect((await status('not-a-job')).statusCode).toBe(404);
    await worker().drain();
  });

  it('takes the CSV in any content type, or none, and streams it unparsed', async () => {
    for (const type of ['text/csv', 'application/json', 'text/plain', 'application/octet-stream']) {
      const res = await ctx().app.inject({
        method: 'POST',
        url: '/api/metricupdates/any.csv',
        headers: { authorization: `API-KEY ${ctx().orgA.write}`, 'content-type': type },
        payload: 'NPS,7,2024-07-01\n',
      });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(200);
    }
    const bare = await ctx().app.inject({
      method: 'POST',
      url: '/api/metricupdates/bare.csv',
      headers: { authorization: `API-KEY ${ctx().orgA.write}` },
      payload: 'NPS,7,2024-07-01\n',
    });
    expect(bare.statusCode, bare.body).toBe(200);
    await worker().drain();
    expect(
      (await points()).find((p) => p.metric_id === metricIds.NPS && p.period_start === '2024-07-01')?.value,
    ).toBe('7');
  });
});

describe.each(engines())('AchieveIt file size limit [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_IMPORT_MAX_BYTES: '1024' });

  it('413 in the {message} shape beyond KPIHUB_IMPORT_MAX_BYTES, and nothing is queued', async () => {
    const res = await ctx().app.inject({
      method: 'POST',
      url: '/api/metricupdates/big.csv',
      headers: { authorization: `API-KEY ${ctx().orgA.write}`, 'content-type': 'text/csv' },
      payload: 'KPI-001,1,2024-01-01\n'.repeat(100),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ message: expect.any(String) });
    expect(await ctx().store.db.selectFrom('jobs').select('id').execute()).toEqual([]);
  });
});
