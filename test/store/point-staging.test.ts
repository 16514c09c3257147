import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identity, type Normalized } from '../../src/core/points/normalize.ts';
import type { PointInput } from '../../src/core/points/point-input.ts';
import type { StagedInput } from '../../src/core/ports/points.ts';
import type { Store } from '../../src/store/database.ts';
import { pointStaging } from '../../src/store/point-staging.ts';
import { createTestStore, engines, type TestDatabase } from '../helpers/engines.ts';

// A batch's inputs kept until its end and given back in identity order (metric, period
// start, period end, coordinates key; the order given within one identity): in memory up to
// what the caller allows, in a temporary table of the transaction beyond. PostgreSQL stages;
// SQLite, one writer at a time, writes as it goes and has no staging.

const M1 = '01900000-0000-7000-8000-000000000001';
const M2 = '01900000-0000-7000-8000-000000000002';

const input = (
  metricId: string,
  start: string,
  line: number,
  extra: Partial<PointInput> = {},
): StagedInput => {
  const given: PointInput = {
    metricId,
    periodStart: start,
    path: `rows[${line}]`,
    line,
    value: `${line}`,
    ...extra,
  };
  const point: Normalized = {
    input: given,
    key: identity(metricId, start, start, ''),
    metricId,
    start,
    end: start,
    coordKey: '',
    coordinates: extra.coordinates ? JSON.stringify(extra.coordinates) : null,
    value: given.value === null ? null : String(given.value),
  };
  return { metric_id: metricId, period_start: start, period_end: start, coord_key: '', point };
};

describe.each(engines())('point staging [%s]', (engine) => {
  let store: Store;
  let database: TestDatabase;
  beforeAll(async () => {
    ({ store, database } = await createTestStore(engine));
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  /** What a staging given `chunks` drains, `size` at a time, inside one transaction. */
  async function stageAndDrain(inMemory: number, chunks: StagedInput[][], size: number) {
    return store.db.transaction().execute(async (trx) => {
      const staging = pointStaging(store, trx, inMemory);
      if (!staging) return undefined;
      for (const c of chunks) await staging.add(c);
      const pages: Normalized[][] = [];
      for await (const page of staging.drain(size)) pages.push(page.points);
      return pages;
    });
  }

  const chunks = () => [
    [input(M2, '2024-01-01', 1), input(M1, '2024-03-01', 2), input(M1, '2024-01-01', 3)],
    [
      input(M1, '2024-03-01', 4, { notes: 'tab\there, "quoted", back\\slash', coordinates: { r: 'EU' } }),
      input(M2, '2023-12-31', 5, { value: 12.5, clear: ['status'] }),
    ],
    [input(M1, '2024-02-01', 6, { value: null, dataSource: { kind: 'file', n: [1, 2] } })],
  ];
  // Identity order; lines 2 and 4 write one identity, in the order given.
  const expected = [3, 6, 2, 4, 5, 1];

  it.runIf(engine === 'sqlite')('has none: one writer at a time writes as it goes', async () => {
    expect(await stageAndDrain(10, chunks(), 2)).toBeUndefined();
  });

  it.runIf(engine === 'postgres')(
    'gives every input back whole, in identity order, kept in memory',
    async () => {
      const pages = await stageAndDrain(100, chunks(), 4);
      expect(pages?.map((p) => p.length)).toEqual([4, 2]);
      expect(pages?.flat().map((p) => p.input.line)).toEqual(expected);
      expect(pages?.flat()).toEqual(expected.map((line) => chunks().flat()[line - 1].point));
    },
  );

  it.runIf(engine === 'postgres')(
    'and the same past what it keeps in memory (a table), or keeping none',
    async () => {
      for (const inMemory of [3, 0]) {
        const pages = await stageAndDrain(inMemory, chunks(), 4);
        expect(pages?.flat().map((p) => p.input.line)).toEqual(expected);
        expect(pages?.flat()).toEqual(expected.map((line) => chunks().flat()[line - 1].point));
      }
    },
  );

  it.runIf(engine === 'postgres')('leaves nothing behind: the table goes with its transaction', async () => {
    await stageAndDrain(0, chunks(), 10);
    await stageAndDrain(0, chunks(), 10);
    const temp = await sql<{ n: number }>`
      select count(*)::int as n from pg_class where relname like 'kpihub_staged_%' and relpersistence = 't'`.execute(
      store.db,
    );
    expect(temp.rows[0].n).toBe(0);
  });
});
