import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Invalid } from '../../src/core/errors.ts';
import { importSession } from '../../src/core/imports/import-session.ts';
import { createMetric } from '../../src/core/metrics.ts';
import { importAchieveItFile } from '../../src/dialects/achieveit/csv-import.ts';
import type { AchieveItFile } from '../../src/dialects/achieveit/csv-rows.ts';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createStorage } from '../../src/store/storage.ts';
import { createTestStore, engines, type TestDatabase } from '../helpers/engines.ts';

// The core of the AchieveIt file import, below HTTP and the queue: rows are checked, their
// External IDs resolved, and the file applied all or nothing.

describe.each(engines())('AchieveIt file import [%s]', (engine) => {
  let store: Store;
  let database: TestDatabase;
  let actor: Actor;
  let other: Actor;
  const metricIds: Record<string, string> = {};

  beforeAll(async () => {
    ({ store, database } = await createTestStore(engine));
    const a = await insertOrganization(store.db, 'A');
    const b = await insertOrganization(store.db, 'B');
    actor = { orgId: a.id, actor: 'tester', keyId: 'k', scopes: ['write'] };
    other = { orgId: b.id, actor: 'tester', keyId: 'k2', scopes: ['write'] };
    for (const ext of ['KPI-1', 'KPI-2', 'Revenue (Q) #3']) {
      metricIds[ext] = (
        await createMetric(createStorage(store), actor, null, { name: ext, external_id: ext })
      ).id;
    }
    await createMetric(createStorage(store), other, null, { name: 'B only', external_id: 'B-ONLY' });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const points = () =>
    store.db
      .selectFrom('data_points')
      .select(['metric_id', 'period_start', 'period_end', 'value', 'notes', 'status'])
      .where('org_id', '=', actor.orgId)
      .orderBy('metric_id')
      .orderBy('period_start')
      .execute();
  const run = (text: string, file: AchieveItFile = 'metricupdates', who = actor) =>
    importAchieveItFile(
      importSession(createStorage(store), who).ports,
      importSession(createStorage(store), who).session,
      who.orgId,
      file,
      Readable.from([Buffer.from(text)]),
    );
  async function rejected(text: string, file: AchieveItFile = 'metricupdates') {
    const before = await points();
    const error = await run(text, file).catch((e) => e);
    expect(error).toBeInstanceOf(Invalid);
    expect(await points()).toEqual(before);
    return (error as Invalid).issues;
  }

  it('applies a file with a header row, US and ISO dates, fractions and comments', async () => {
    const result = await run(
      'External ID,Current Metric Value,As Of Date,Comment\r\n' +
        'KPI-1,.2,03/31/2024,on plan\r\n' +
        'KPI-2,-1500.50,2024-03-31T17:45:00-05:00,\r\n' +
        'Revenue (Q) #3,7,4/1/2024,"a comment, with a comma"\r\n',
    );
    expect(result).toEqual({ rowsRead: 3, rowsApplied: 3, dryRun: false });
    const stored = await points();
    expect(stored).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          metric_id: metricIds['KPI-1'],
          period_start: '2024-03-31',
          period_end: '2024-03-31',
          value: '0.2',
          notes: 'on plan',
        }),
        expect.objectContaining({ metric_id: metricIds['KPI-2'], value: '-1500.5', notes: null }),
        expect.objectContaining({
          metric_id: metricIds['Revenue (Q) #3'],
          period_start: '2024-04-01',
          notes: 'a comment, with a comma',
        }),
      ]),
    );
  });

  it('takes a file without a header row, header cell in any case and spacing', async () => {
    expect(await run('KPI-1,1,2024-01-01\n')).toMatchObject({ rowsRead: 1, rowsApplied: 1 });
    expect(await run('  external   ID ,value,date\nKPI-1,2,2024-01-01')).toMatchObject({ rowsRead: 1 });
    const row = (await points()).find(
      (p) => p.metric_id === metricIds['KPI-1'] && p.period_start === '2024-01-01',
    );
    expect(row?.value).toBe('2');
  });

  it('stores progress update statuses in any capitalization as documented', async () => {
    await run(
      'External ID,Status,Current Metric Value,As Of Date,Comment\nKPI-1,on track,5,2024-02-01,fine\nKPI-2,NOT STARTED,0,2024-02-01\n',
      'progressupdates',
    );
    const stored = await points();
    expect(
      stored.find((p) => p.metric_id === metricIds['KPI-1'] && p.period_start === '2024-02-01'),
    ).toMatchObject({ status: 'On Track', value: '5', notes: 'fine' });
    expect(
      stored.find((p) => p.metric_id === metricIds['KPI-2'] && p.period_start === '2024-02-01'),
    ).toMatchObject({ status: 'Not Started' });
  });

  it('rejects an unknown status and names the line', async () => {
    const issues = await rejected('KPI-1,Late,5,2024-02-01\n', 'progressupdates');
    expect(issues).toEqual([expect.objectContaining({ line: 1, column: 'Status', code: 'status' })]);
  });

  it('refuses hour 24 unless it is 24:00 exactly (ISO-8601 end of day), naming the line', async () => {
    const issues = await rejected(
      ['KPI-1,1,2024-03-01T24:30:00Z', 'KPI-1,1,2024-03-01T24:00:00.5Z', 'KPI-1,1,2024-03-01T24:00:01Z'].join(
        '\n',
      ),
    );
    expect(issues.map((i) => [i.line, i.column, i.code])).toEqual([
      [1, 'As Of Date', 'date'],
      [2, 'As Of Date', 'date'],
      [3, 'As Of Date', 'date'],
    ]);
    await run('KPI-2,24,2024-03-02T24:00:00Z\nKPI-2,2400,2024-03-03T24:00\n');
    const stored = (await points()).filter((p) => p.metric_id === metricIds['KPI-2']);
    expect(stored).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ period_start: '2024-03-02', value: '24' }),
        expect.objectContaining({ period_start: '2024-03-03', value: '2400' }),
      ]),
    );
  });

  it('rejects the whole file for one bad row, and lists every bad row by line and column', async () => {
    const issues = await rejected(
      [
        'External ID,Current Metric Value,As Of Date',
        'KPI-1,1,2024-05-01',
        '',
        'my external kpi,1,2024-05-01',
        '"KPI,1",1,2024-05-01',
        'KPI"1,1,2024-05-01',
        'KPI-1,20%,2024-05-01',
        'KPI-1,1,31/05/2024',
        'NOPE,1,2024-05-01',
        'B-ONLY,1,2024-05-01',
        'KPI-2,1',
      ].join('\n'),
    );
    expect(issues.map((i) => [i.line, i.column ?? null, i.code])).toEqual([
      [3, null, 'empty_row'],
      [4, 'External ID', 'external_word'],
      [5, 'External ID', 'comma'],
      [6, 'External ID', 'quote'],
      [7, 'Current Metric Value', 'percentage'],
      [8, 'As Of Date', 'date'],
      [9, 'External ID', 'unknown_external_id'],
      [10, 'External ID', 'unknown_external_id'],
      [11, null, 'columns'],
    ]);
    expect(issues[4].message).toContain('write percentages as decimal fractions (20% as 0.2)');
    expect(issues.every((i) => typeof i.message === 'string' && i.message.length > 0)).toBe(true);
  });

  it('reports the write path problems with the file column', async () => {
    await createMetric(createStorage(store), actor, null, {
      name: 'whole',
      external_id: 'WHOLE',
      value_type: 'integer',
    });
    const issues = await rejected('WHOLE,1.5,2024-01-01\n');
    expect(issues).toEqual([
      expect.objectContaining({ line: 1, column: 'Current Metric Value', field: 'lines[1].value' }),
    ]);
  });

  it('rejects an empty file and a quote never closed', async () => {
    expect(await rejected('')).toEqual([expect.objectContaining({ line: 1, code: 'empty_file' })]);
    expect(await rejected('KPI-1,1,2024-01-01\n"KPI-2,1,2024-01-01\nKPI-1,1,2024-01-02\n')).toEqual([
      expect.objectContaining({ line: 2, code: 'CSV_QUOTE_NOT_CLOSED' }),
    ]);
  });

  it('reads a file split at any byte, multi-byte characters included', async () => {
    const text = 'KPI-1,3,2024-06-01,café ✓\nKPI-2,4,2024-06-01\n';
    const bytes = Buffer.from(text);
    const pieces = [...bytes].map((b) => Buffer.from([b]));
    await importAchieveItFile(
      importSession(createStorage(store), actor).ports,
      importSession(createStorage(store), actor).session,
      actor.orgId,
      'metricupdates',
      Readable.from(pieces),
    );
    const stored = await points();
    expect(
      stored.find((p) => p.metric_id === metricIds['KPI-1'] && p.period_start === '2024-06-01')?.notes,
    ).toBe('café ✓');
  });
});
