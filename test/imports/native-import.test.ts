import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Invalid } from '../../src/core/errors.ts';
import { checkMapping } from '../../src/core/imports/column-mapping.ts';
import { importSession } from '../../src/core/imports/import-session.ts';
import { importNativeFile, type NativeImportSpec } from '../../src/core/imports/native-import.ts';
import { createMetric } from '../../src/core/metrics.ts';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createStorage } from '../../src/store/storage.ts';
import { createTestStore, engines, type TestDatabase } from '../helpers/engines.ts';

// Native file imports below HTTP: CSV, NDJSON and JSON through a column mapping.

describe.each(engines())('native file import [%s]', (engine) => {
  let store: Store;
  let database: TestDatabase;
  let actor: Actor;
  let revenue: string;
  let byRegion: string;

  beforeAll(async () => {
    ({ store, database } = await createTestStore(engine));
    const a = await insertOrganization(store.db, 'A');
    actor = { orgId: a.id, actor: 'tester', keyId: 'k', scopes: ['write'] };
    revenue = (await createMetric(createStorage(store), actor, null, { name: 'Revenue', external_id: 'REV' }))
      .id;
    byRegion = (
      await createMetric(createStorage(store), actor, null, {
        name: 'Sales',
        external_id: 'SALES',
        dimensions: [{ name: 'region' }],
      })
    ).id;
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const points = () =>
    store.db
      .selectFrom('data_points')
      .select(['metric_id', 'period_start', 'period_end', 'coordinates', 'value', 'notes', 'status'])
      .where('org_id', '=', actor.orgId)
      .orderBy('metric_id')
      .orderBy('period_start')
      .orderBy('coord_key')
      .execute();
  const run = (spec: NativeImportSpec, text: string, dryRun = false) =>
    importNativeFile(
      importSession(createStorage(store), actor).ports,
      importSession(createStorage(store), actor).session,
      actor.orgId,
      spec,
      Readable.from([Buffer.from(text)]),
      { dryRun },
    );
  async function rejected(spec: NativeImportSpec, text: string, dryRun = false) {
    const before = await points();
    const error = await run(spec, text, dryRun).catch((e) => e);
    expect(error).toBeInstanceOf(Invalid);
    expect(await points()).toEqual(before);
    return (error as Invalid).issues;
  }

  it('imports a CSV through a mapping by header names, with coordinates and periods', async () => {
    const result = await run(
      {
        format: 'csv',
        mapping: {
          metric_external_id: 'KPI',
          period_start: 'From',
          period_end: 'To',
          value: 'Amount',
          notes: 'Note',
          coordinates: { region: 'Region' },
        },
      },
      'KPI,From,To,Region,Amount,Note\nSALES,2024-01-01,2024-01-31,EU,10.50,first\nSALES,2024-01-01,2024-01-31,US,7,\n\n',
    );
    expect(result).toEqual({ rowsRead: 2, rowsApplied: 2, dryRun: false });
    const stored = (await points()).filter((p) => p.metric_id === byRegion);
    expect(stored).toHaveLength(2);
    expect(stored.map((p) => [p.period_end, p.value, p.notes])).toEqual(
      expect.arrayContaining([
        ['2024-01-31', '10.5', 'first'],
        ['2024-01-31', '7', null],
      ]),
    );
  });

  it('imports a headerless CSV by column index, and NDJSON and JSON by their own key names', async () => {
    await run(
      { format: 'csv', header: false, mapping: { metric_id: 0, date: 1, value: 2 } },
      `${revenue},2024-02-01,1\n`,
    );
    await run(
      { format: 'ndjson' },
      `{"metric_external_id":"REV","date":"2024-02-02","value":2}\n\n{"metric_external_id":"REV","date":"2024-02-03","value":"3"}\n`,
    );
    await run(
      { format: 'json' },
      JSON.stringify([
        {
          metric_external_id: 'SALES',
          date: '2024-02-04',
          value: 4,
          coordinates: { region: 'EU' },
          status: 'ok',
        },
      ]),
    );
    const stored = await points();
    expect(stored.filter((p) => p.metric_id === revenue).map((p) => [p.period_start, p.value])).toEqual([
      ['2024-02-01', '1'],
      ['2024-02-02', '2'],
      ['2024-02-03', '3'],
    ]);
    expect(stored.find((p) => p.period_start === '2024-02-04')).toMatchObject({ value: '4', status: 'ok' });
  });

  it('dry run checks every row and stores nothing', async () => {
    const before = await points();
    const result = await run(
      { format: 'csv' },
      'metric_external_id,date,value\nREV,2024-03-01,1\nREV,2024-03-02,2\n',
      true,
    );
    expect(result).toEqual({ rowsRead: 2, rowsApplied: 0, dryRun: true });
    expect(await points()).toEqual(before);
  });

  it('dry run reports every bad row, by line and column', async () => {
    const issues = await rejected(
      { format: 'csv', mapping: { metric_external_id: 'kpi', date: 'day', value: 'amount' } },
      'kpi,day,amount\nREV,2024-03-01,abc\nNOPE,2024-03-01,1\nREV,03/01/2024,1\nREV,2024-03-04,2\n,2024-03-01,1\n',
      true,
    );
    expect(issues.map((i) => [i.line, i.column])).toEqual([
      [2, 'amount'],
      [3, 'kpi'],
      [4, 'day'],
      [6, 'kpi'],
    ]);
  });

  it('rejects a mapped column missing from the header, and JSON that is not an array of rows', async () => {
    expect(
      await rejected({ format: 'csv', mapping: { metric_id: 'm', date: 'd', value: 'v' } }, 'm,d\n'),
    ).toEqual([expect.objectContaining({ line: 1, field: 'mapping.value' })]);
    expect(await rejected({ format: 'json' }, '{"metric_id":1}')).toEqual([
      expect.objectContaining({ line: 1, code: 'json' }),
    ]);
    expect(await rejected({ format: 'csv' }, 'a,b\n1,2\n')).toEqual(
      expect.arrayContaining([expect.objectContaining({ line: 1, field: 'mapping.metric_id' })]),
    );
  });

  it('names JSON array rows by index and NDJSON rows by line', async () => {
    const json = await rejected(
      { format: 'json' },
      `[{"metric_id":"${revenue}","date":"2024-04-01","value":1},{"metric_id":"${revenue}","date":"2024-04-01","value":"x"}]`,
    );
    expect(json).toEqual([expect.objectContaining({ field: 'rows[1].value', line: 1, column: 'value' })]);
    const nd = await rejected(
      { format: 'ndjson' },
      `{"metric_id":"${revenue}","date":"2024-04-01","value":1}\n{oops\n`,
    );
    expect(nd).toEqual([expect.objectContaining({ field: 'lines[2]', line: 2, code: 'json' })]);
  });

  it('checks the mapping itself before any file is read', () => {
    expect(() => checkMapping({ date: 'd', value: 'v' }, 'csv', true)).toThrow(Invalid);
    expect(() => checkMapping({ metric_id: 0, date: 1 }, 'json', true)).toThrow(Invalid);
    expect(() => checkMapping({ metric_id: 'm', date: 'd', period_start: 's' }, 'csv', true)).toThrow(
      Invalid,
    );
    expect(() => checkMapping({ metric_id: 'm', date: 'd' }, 'csv', false)).toThrow(Invalid);
    expect(() =>
      checkMapping({ metric_id: 'm', period_start: 'a', period_end: 'b' }, 'ndjson', true),
    ).not.toThrow();
  });
});
