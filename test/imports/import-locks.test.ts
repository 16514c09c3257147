import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { newId } from '../../src/core/ids.ts';
import { importSession } from '../../src/core/imports/import-session.ts';
import type { ImportProgress } from '../../src/core/imports/run-import.ts';
import { createMetric } from '../../src/core/metrics.ts';
import { writePoints } from '../../src/core/points/write.ts';
import { importAchieveItFile } from '../../src/dialects/achieveit/csv-import.ts';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createStorage } from '../../src/store/storage.ts';
import { createTestStore, engines, type TestDatabase } from '../helpers/engines.ts';

// What a big file import holds while it runs (issue 14): writers lock the points they write,
// so a file over tens of thousands of metrics takes no lock per metric (PostgreSQL's lock
// table ran out at 40,000 under the per-metric lock), and a small write to a metric a long
// import is writing goes through while the import runs.

describe.each(engines())('file imports and locks [%s]', (engine) => {
  let store: Store;
  let database: TestDatabase;
  let actor: Actor;

  beforeAll(async () => {
    ({ store, database } = await createTestStore(engine));
    const org = await insertOrganization(store.db, 'A');
    actor = { orgId: org.id, actor: 'tester', keyId: 'k', scopes: ['write'] };
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  /** `n` metrics with external ids `${prefix}0`…, made as copies of one made the ordinary way. */
  async function manyMetrics(prefix: string, n: number): Promise<string[]> {
    const first = await createMetric(createStorage(store), actor, null, {
      name: `${prefix}0`,
      external_id: `${prefix}0`,
    });
    const template = await store.db
      .selectFrom('metrics')
      .selectAll()
      .where('id', '=', first.id)
      .executeTakeFirstOrThrow();
    const copies = Array.from({ length: n - 1 }, (_, i) => ({
      ...template,
      id: newId(),
      name: `${prefix}${i + 1}`,
      external_id: `${prefix}${i + 1}`,
    }));
    for (let i = 0; i < copies.length; i += 1000) {
      await store.db
        .insertInto('metrics')
        .values(copies.slice(i, i + 1000))
        .execute();
    }
    return [first.id, ...copies.map((c) => c.id)];
  }

  const importFile = (lines: () => Generator<string>, onProgress?: (p: ImportProgress) => void) =>
    importAchieveItFile(
      importSession(createStorage(store), actor).ports,
      importSession(createStorage(store), actor).session,
      actor.orgId,
      'metricupdates',
      Readable.from(
        (function* () {
          yield 'External ID,Current Metric Value,As Of Date\n';
          let batch: string[] = [];
          for (const line of lines()) {
            batch.push(line);
            if (batch.length === 1000) {
              yield batch.join('');
              batch = [];
            }
          }
          if (batch.length) yield batch.join('');
        })(),
      ),
      { onProgress },
    );

  it('applies a file over 40,001 metrics in one transaction', { timeout: 180_000 }, async () => {
    const n = 40_001;
    const ids = await manyMetrics('wide-', n);
    const result = await importFile(function* () {
      for (let i = 0; i < n; i++) yield `wide-${i},${i}.5,2024-06-30\n`;
    });
    expect(result).toEqual({ rowsRead: n, rowsApplied: n, dryRun: false });
    const counted = await store.db
      .selectFrom('data_points')
      .select((eb) => [
        eb.fn.countAll<string | number>().as('points'),
        eb.fn.count<string | number>('metric_id').distinct().as('metrics'),
      ])
      .where('org_id', '=', actor.orgId)
      .where('metric_id', 'in', [ids[0], ids[n - 1]])
      .executeTakeFirstOrThrow();
    expect(Number(counted.points)).toBe(2);
    const all = await store.db
      .selectFrom('data_points')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('org_id', '=', actor.orgId)
      .executeTakeFirstOrThrow();
    expect(Number(all.n)).toBe(n);
  });

  it('runs two imports of the same points in opposite orders side by side, without a deadlock', async () => {
    const ids = await manyMetrics('pair-', 50);
    const dates = Array.from({ length: 40 }, (_, d) =>
      new Date(Date.UTC(2021, 0, 1 + d)).toISOString().slice(0, 10),
    );
    const rows = ids.flatMap((_, m) => dates.map((date) => [m, date] as const));
    // Each file in file order: the first's chunks go metric 0 to 49, the second's 49 to 0.
    const forward = importFile(function* () {
      for (const [m, date] of rows) yield `pair-${m},1,${date}\n`;
    });
    const backward = importFile(function* () {
      for (const [m, date] of [...rows].reverse()) yield `pair-${m},2,${date}\n`;
    });
    const results = await Promise.allSettled([forward, backward]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    // Each point: inserted by one import and updated by the other, an unbroken chain.
    const revisions = await store.db
      .selectFrom('point_revisions')
      .select(['point_id', 'op', 'old_value', 'new_value'])
      .where('metric_id', 'in', ids)
      .orderBy('id')
      .execute();
    expect(revisions).toHaveLength(rows.length * 2);
    const chains = new Map<string, (typeof revisions)[number][]>();
    for (const r of revisions) chains.set(r.point_id, [...(chains.get(r.point_id) ?? []), r]);
    expect(chains.size).toBe(rows.length);
    for (const [first, second] of chains.values()) {
      expect([first.op, first.old_value, second.op, second.old_value]).toEqual([
        'insert',
        null,
        'update',
        first.new_value,
      ]);
    }
  });

  // One writer at a time on SQLite: there a small write waits for the import by design.
  it.runIf(engine === 'postgres')(
    'answers a 1-point write to a metric while a 1M-row import writes that metric',
    { timeout: 300_000 },
    async () => {
      const metrics = 1000;
      const days = 1000;
      const ids = await manyMetrics('big-', metrics);
      let importDone = false;
      let applied = 0;
      const running = importFile(
        function* () {
          // Day by day across every metric, so every metric is written from the first second on.
          for (let d = 0; d < days; d++) {
            const date = new Date(Date.UTC(2020, 0, 1 + d)).toISOString().slice(0, 10);
            for (let m = 0; m < metrics; m++) yield `big-${m},${d}.${m},${date}\n`;
          }
        },
        (p) => {
          applied = p.rowsApplied;
        },
      ).finally(() => {
        importDone = true;
      });
      // Once the import is writing (it writes in identity order, so the metric with the
      // smallest id first, and holds what it wrote, uncommitted)…
      const target = [...ids].sort()[0];
      const started = Date.now();
      while (applied < 50_000 && !importDone) {
        if (Date.now() - started > 120_000) throw new Error('the import wrote nothing in 2 minutes');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(importDone).toBe(false);
      // …a write of one point of that metric, in a month the import is writing, answers at once.
      const t0 = performance.now();
      const out = await writePoints(createStorage(store), actor, [
        {
          metricId: target,
          periodStart: '2020-01-01',
          periodEnd: '2020-01-31',
          value: '7',
          path: 'data_points[0]',
        },
      ]);
      const took = performance.now() - t0;
      expect(out.inserted).toBe(1);
      expect(importDone).toBe(false);
      expect(took).toBeLessThan(1000);
      const result = await running;
      expect(result).toEqual({ rowsRead: metrics * days, rowsApplied: metrics * days, dryRun: false });
      const points = await store.db
        .selectFrom('data_points')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('metric_id', '=', target)
        .executeTakeFirstOrThrow();
      expect(Number(points.n)).toBe(days + 1);
      // Staged past what a batch keeps in memory (as JSON in a temporary table), each row
      // came back whole: the value the file gave its metric and day.
      const m = ids.indexOf(target);
      const sample = await store.db
        .selectFrom('data_points')
        .select(['period_start', 'value'])
        .where('metric_id', '=', target)
        .where('period_start', 'in', ['2020-01-01', '2022-09-26'])
        .where('period_end', '=', (eb) => eb.ref('period_start'))
        .orderBy('period_start')
        .execute();
      // Stored as canonical decimals: "0.10" is 0.1, "999.0" is 999.
      const canonical = (text: string) => text.replace(/\.?0+$/, '');
      expect(sample).toEqual([
        { period_start: '2020-01-01', value: canonical(`0.${m}`) },
        { period_start: '2022-09-26', value: canonical(`999.${m}`) },
      ]);
    },
  );
});
