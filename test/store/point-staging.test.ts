import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identity } from '../../src/core/points/normalize.ts';
import { nextRecord } from '../../src/core/points/point-changes.ts';
import type { Normalized, PointInput } from '../../src/core/points/point-input.ts';
import type { StagedInput } from '../../src/core/ports/points.ts';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
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
      // A page ends with its last identity: at 3, lines 2 and 4 (one identity) stay together.
      expect((await stageAndDrain(100, chunks(), 3))?.map((p) => p.map((x) => x.input.line))).toEqual([
        [3, 6, 2, 4],
        [5, 1],
      ]);
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

  /** A metric of a new organization, with a point stored at each of `taken` (value 7). */
  async function metricWithPoints(n: number, taken: string[]) {
    const orgId = (await insertOrganization(store.db, `Org ${n}`)).id;
    const metricId = `01900000-0000-7000-8000-0000000000b${n}`;
    await sql`insert into ${sql.table('metrics')} (id, org_id, name, value_type, created_at, updated_at)
      values (${metricId}, ${orgId}, 'Revenue', 'number', now(), now())`.execute(store.db);
    const ids = taken.map((_, i) => `01900000-0000-7000-8000-00000000c${n}0${i}`);
    for (const [i, start] of taken.entries())
      await sql`insert into ${sql.table('data_points')} (id, org_id, metric_id, period_start, period_end, coord_key, value, created_at, updated_at)
        values (${ids[i]}, ${orgId}, ${metricId}, ${start}, ${start}, '', '7', now(), now())`.execute(
        store.db,
      );
    const actor = { orgId, actor: 'alice', keyId: 'k', scopes: ['write'] as const, requestId: 'req-1' };
    return { orgId, metricId, ids, actor };
  }

  // In a table (a file) the drain reads its pages back and writes them in one statement each;
  // kept in memory (a Workiva batch) the pages' new records go as parameters (claimFresh), a
  // page at a time, the next built while the last runs. Same points, revisions and marks.
  it.runIf(engine === 'postgres').each([
    { kept: 'in a table', inMemory: 0, pages: [{ lines: [2, 5], written: 3 }] },
    {
      kept: 'in memory',
      inMemory: 100,
      pages: [
        { lines: [2], written: 1 },
        { lines: [5], written: 1 },
        { lines: [], written: 1 },
      ],
    },
  ])(
    'a drain that inserts writes the new points itself, with revisions and marks, and gives back the rest, locked (kept $kept)',
    async ({ inMemory, pages: expectedPages }) => {
      const {
        metricId,
        ids: [takenId],
        actor,
      } = await metricWithPoints(inMemory === 0 ? 1 : 2, ['2024-01-01']);
      const at = new Date().toISOString();
      // Line 2 names a stored point; line 5 writes line 3's identity again.
      const rows = [
        input(metricId, '2024-02-01', 1),
        input(metricId, '2024-01-01', 2),
        input(metricId, '2024-03-01', 3),
        input(metricId, '2024-03-15', 4),
        input(metricId, '2024-03-01', 5),
      ];
      const fresh = (point: Normalized) => nextRecord(point, undefined, undefined, actor, at);

      let locked: unknown;
      const pages = await store.db.transaction().execute(async (trx) => {
        const staging = pointStaging(store, trx, inMemory);
        await staging?.add(rows, fresh);
        const out: { lines: (number | undefined)[]; written: number }[] = [];
        for await (const page of staging?.drain(2, { requestId: 'req-1', jobId: 'job-1' }) ?? [])
          out.push({ lines: page.points.map((p) => p.input.line), written: page.written });
        // The taken identity is locked until this transaction ends.
        locked = await sql`select id from ${sql.table('data_points')} where id = ${takenId} for update nowait`
          .execute(store.db)
          .catch((e: { code?: string }) => e.code);
        return out;
      });
      expect(locked).toBe('55P03'); // lock_not_available
      expect(pages).toEqual(expectedPages);

      const points = await sql<{ period_start: string; value: string; id: string }>`
        select period_start, value, id from ${sql.table('data_points')} where metric_id = ${metricId} order by period_start`.execute(
        store.db,
      );
      expect(points.rows.map((p) => [p.period_start, p.value])).toEqual([
        ['2024-01-01', '7'],
        ['2024-02-01', '1'],
        ['2024-03-01', '3'],
        ['2024-03-15', '4'],
      ]);
      const revisions = await sql<Record<string, unknown>>`
        select point_id, op, old_value, new_value, actor, request_id, job_id from ${sql.table('point_revisions')}
        where metric_id = ${metricId} order by new_value`.execute(store.db);
      expect(revisions.rows).toEqual(
        points.rows.slice(1).map((p) => ({
          point_id: p.id,
          op: 'insert',
          old_value: null,
          new_value: p.value,
          actor: 'alice',
          request_id: 'req-1',
          job_id: 'job-1',
        })),
      );
      const marks = await sql<{ month: string }>`
        select distinct month from ${sql.table('rollup_marks')} where metric_id = ${metricId} order by month`.execute(
        store.db,
      );
      expect(marks.rows.map((m) => m.month)).toEqual(['2024-02-01', '2024-03-01']);
    },
  );

  // A file's stage: many adds, each insert built while the one before runs; its drain pages of
  // 10,000 rows carry no points and read back only those of the rows they give back.
  it.runIf(engine === 'postgres')(
    'a drain that inserts over several adds and past a page: each identity written once, a repeat across the page boundary given back as staged',
    async () => {
      const { metricId, actor } = await metricWithPoints(4, []);
      const at = new Date().toISOString();
      const day = (n: number) => new Date(Date.UTC(2000, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
      const rows = Array.from({ length: 10_000 }, (_, i) => input(metricId, day(i), i + 1));
      // The last identity of the first page again: sorted right after it, it starts page two.
      const repeat = input(metricId, day(9_999), 10_001, { notes: 'tab\there, "quoted", back\\slash' });
      const fresh = (point: Normalized) => nextRecord(point, undefined, undefined, actor, at);
      const pages = await store.db.transaction().execute(async (trx) => {
        const staging = pointStaging(store, trx, 0);
        for (const part of [rows.slice(0, 6_000), rows.slice(6_000), [repeat]])
          await staging?.add(part, fresh);
        const out: { points: Normalized[]; written: number }[] = [];
        for await (const page of staging?.drain(2, { requestId: 'req-1', jobId: 'job-1' }) ?? [])
          out.push(page);
        return out;
      });
      expect(pages.map((p) => p.written)).toEqual([10_000, 0]);
      expect(pages.map((p) => p.points)).toEqual([[], [repeat.point]]);
      const stored = await sql<{ n: number; last: string }>`
        select count(*)::int as n, max(value) filter (where period_start = ${day(9_999)}) as last
        from ${sql.table('data_points')} where metric_id = ${metricId}`.execute(store.db);
      // The repeat is the writer's to apply: here the first input of its identity was written.
      expect(stored.rows).toEqual([{ n: 10_000, last: '10000' }]);
    },
  );

  it.runIf(engine === 'postgres')('a stage insert that fails fails the next add and the drain', async () => {
    const failures = await store.db
      .transaction()
      .execute(async (trx) => {
        const staging = pointStaging(store, trx, 0);
        if (!staging) return [];
        const out: string[] = [];
        // Sent while the next chunk is read: its failure is the next add's.
        await staging.add([input(M1, '2024-13-01', 1)]);
        await staging.add([input(M1, '2024-01-01', 2)]).catch((e: Error) => out.push(e.message));
        try {
          for await (const _ of staging.drain(10));
        } catch (e) {
          out.push((e as Error).message);
        }
        return out;
      })
      .catch(() => ['the transaction failed, as it should, but the drain was never reached']);
    expect(failures).toHaveLength(2);
    for (const f of failures) expect(f).toMatch(/date|out of range/i);
  });

  it.runIf(engine === 'postgres')(
    'kept in memory, once most of a page was taken the pages after it of its metric go back whole (a batch rewriting its points)',
    async () => {
      const { orgId, metricId, actor } = await metricWithPoints(3, ['2024-01-01', '2024-02-01']);
      // Another metric of the organization, after the first in identity order, with no points.
      const other = '01900000-0000-7000-8000-0000000000d3';
      await sql`insert into ${sql.table('metrics')} (id, org_id, name, value_type, created_at, updated_at)
        values (${other}, ${orgId}, 'Costs', 'number', now(), now())`.execute(store.db);
      const at = new Date().toISOString();
      const rows = [
        ...['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01'].map((d, i) => input(metricId, d, i + 1)),
        input(other, '2024-01-01', 5),
        input(other, '2024-02-01', 6),
      ];
      const fresh = (point: Normalized) => nextRecord(point, undefined, undefined, actor, at);
      const pages = await store.db.transaction().execute(async (trx) => {
        const staging = pointStaging(store, trx, 100);
        await staging?.add(rows, fresh);
        const out: { lines: (number | undefined)[]; written: number }[] = [];
        for await (const page of staging?.drain(1, { requestId: 'req-1', jobId: 'job-1' }) ?? [])
          out.push({ lines: page.points.map((p) => p.input.line), written: page.written });
        return out;
      });
      // The first page's identity was taken; the second's claim was built before that was
      // known; from the third on, the writer claims them (nothing written here), until the
      // other metric starts: its new points are written here again.
      expect(pages).toEqual([
        { lines: [1], written: 0 },
        { lines: [2], written: 0 },
        { lines: [3], written: 0 },
        { lines: [4], written: 0 },
        { lines: [], written: 1 },
        { lines: [], written: 1 },
      ]);
      const stored = await sql<{ metric_id: string; n: number }>`
        select metric_id, count(*)::int as n from ${sql.table('data_points')}
        where metric_id in (${metricId}, ${other}) group by metric_id order by metric_id`.execute(store.db);
      expect(stored.rows).toEqual([
        { metric_id: metricId, n: 2 },
        { metric_id: other, n: 2 },
      ]);
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
