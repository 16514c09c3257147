import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import type { Invalid } from '../../src/core/errors.ts';
import { runBatch } from '../../src/core/imports/batch-runner.ts';
import { createMetric, type Metric } from '../../src/core/metrics.ts';
import type { PointInput } from '../../src/core/points/point-input.ts';
import { deletePoints, withPointWriter, writePoints } from '../../src/core/points/write.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// Writers lock the points they write, not their metrics (src/core/points/writer.ts), on an
// engine with concurrent writers (PostgreSQL; SQLite has one writer at a time and nothing to
// lock). Each test holds one write transaction open and checks what another writer does
// meanwhile: a writer of other points of the metric goes through, a writer of the same point
// waits and then applies on top, and writers of the same points in any input order never
// deadlock.

const concurrent = engines().filter((e) => e === 'postgres');

describe.each(concurrent)('point locks [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const actor = (): Actor => ({ orgId: ctx().orgA.id, actor: 'alice', keyId: 'k', scopes: ['write'] });
  const storage = () => createStorage(ctx().store);
  const metric = (): Promise<Metric> =>
    createMetric(storage(), actor(), null, { name: 'Revenue', value_type: 'number' });
  const day = (metricId: string, date: string, value: string): PointInput => ({
    metricId,
    periodStart: date,
    value,
    path: 'data_points[0]',
  });
  const history = async (metricId: string, date: string) => {
    const rows = await ctx()
      .store.db.selectFrom('point_revisions as r')
      .innerJoin('data_points as p', 'p.id', 'r.point_id')
      .select(['r.op', 'r.old_value', 'r.new_value'])
      .where('p.metric_id', '=', metricId)
      .where('p.period_start', '=', date)
      .orderBy('r.id')
      .execute();
    return rows.map((r) => [r.op, r.old_value, r.new_value]);
  };

  /**
   * Opens a write transaction that writes `inputs` and stays open until `release()`; resolves
   * `written` once its writes are done.
   */
  function holdOpen(inputs: PointInput[], op: 'add' | 'remove' = 'add') {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let markWritten = () => {};
    const written = new Promise<void>((r) => {
      markWritten = r;
    });
    const done = withPointWriter(storage(), actor(), async (w) => {
      await (op === 'add' ? w.add(inputs) : w.remove(inputs));
      markWritten();
      await gate;
    });
    return { written, done, release };
  }

  /** Whether `p` settles within `ms` (it is still waiting otherwise). */
  const settlesWithin = (p: Promise<unknown>, ms: number) =>
    Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
    ]);

  it('writes other points of a metric, in the same month, while a transaction on it is open', async () => {
    const m = await metric();
    const held = holdOpen([day(m.id, '2024-01-01', '1')]);
    await held.written;
    try {
      const out = await writePoints(storage(), actor(), [day(m.id, '2024-01-02', '2')]);
      expect(out.inserted).toBe(1);
    } finally {
      held.release();
    }
    await held.done;
    expect(await history(m.id, '2024-01-01')).toEqual([['insert', null, '1']]);
    expect(await history(m.id, '2024-01-02')).toEqual([['insert', null, '2']]);
    // Both writes left a mark of the month, of their own version.
    const marks = await storage().rollupMarks(ctx().orgA.id, [m.id]);
    expect(new Set(marks.map((k) => k.version)).size).toBe(2);
  });

  it('makes a writer of the same point wait for the holder, then applies on top of it', async () => {
    const m = await metric();
    const held = holdOpen([day(m.id, '2024-02-01', '1')]);
    await held.written;
    const second = writePoints(storage(), actor(), [day(m.id, '2024-02-01', '2')]);
    expect(await settlesWithin(second, 300)).toBe(false);
    held.release();
    await held.done;
    expect((await second).updated).toBe(1);
    expect(await history(m.id, '2024-02-01')).toEqual([
      ['insert', null, '1'],
      ['update', '1', '2'],
    ]);
  });

  it('makes a writer wait for a delete of its point, then writes the point again', async () => {
    const m = await metric();
    await writePoints(storage(), actor(), [day(m.id, '2024-03-01', '1')]);
    const held = holdOpen([day(m.id, '2024-03-01', '1')], 'remove');
    await held.written;
    const again = writePoints(storage(), actor(), [day(m.id, '2024-03-01', '5')]);
    expect(await settlesWithin(again, 300)).toBe(false);
    held.release();
    await held.done;
    expect((await again).inserted).toBe(1);
    expect(await history(m.id, '2024-03-01')).toEqual([
      ['insert', null, '1'],
      ['delete', '1', null],
      ['insert', null, '5'],
    ]);
  });

  it('never deadlocks writers of the same points given in different orders', async () => {
    const m = await metric();
    const dates = Array.from({ length: 200 }, (_, i) =>
      new Date(Date.UTC(2023, 0, 1 + i)).toISOString().slice(0, 10),
    );
    const writers = 12;
    const orders = Array.from({ length: writers }, (_, w) =>
      // Each writer its own order: reversed, rotated, interleaved.
      w % 2 ? [...dates].reverse() : [...dates.slice((w * 17) % 200), ...dates.slice(0, (w * 17) % 200)],
    );
    const results = await Promise.allSettled(
      orders.map((order, w) =>
        writePoints(
          storage(),
          actor(),
          order.map((d) => day(m.id, d, String(w + 1))),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    // Every writer applied every point once: one insert and then an update per other writer
    // (each wrote its own value), an unbroken chain per point.
    for (const d of [dates[0], dates[99], dates[199]]) {
      const chain = await history(m.id, d);
      expect(chain).toHaveLength(writers);
      expect(chain[0][0]).toBe('insert');
      for (let i = 1; i < chain.length; i++) expect(chain[i][1]).toBe(chain[i - 1][2]);
    }
  });

  it('never deadlocks two delete batches over the same points in opposite orders', async () => {
    const m = await metric();
    const dates = Array.from({ length: 400 }, (_, i) =>
      new Date(Date.UTC(2022, 0, 1 + i)).toISOString().slice(0, 10),
    );
    await writePoints(
      storage(),
      actor(),
      dates.slice(0, 200).map((d) => day(m.id, d, '1')),
    );
    await writePoints(
      storage(),
      actor(),
      dates.slice(200).map((d) => day(m.id, d, '1')),
    );
    /** One batch deleting `order`, 100 a chunk, as a Workiva batchDeletion runs. */
    const deleting = (order: string[]) =>
      runBatch(
        (mode, fn) => withPointWriter(storage(), actor(), fn, [], { validateOnly: mode === 'dry-run' }),
        (async function* () {
          for (let i = 0; i < order.length; i += 100) {
            yield { inputs: order.slice(i, i + 100).map((d) => day(m.id, d, '1')), issues: [], read: 100 };
          }
        })(),
        {
          mode: 'apply',
          op: 'remove',
          writeSize: 100,
          flushSize: 100,
          sourceIssues: 'writer',
          report: (w) => w,
        },
      );
    const [first, second] = await Promise.allSettled([deleting(dates), deleting([...dates].reverse())]);
    // One deletes all 400; the other, waiting for it, then finds them gone: 404s, no deadlock.
    const outcomes = [first, second].map((r) =>
      r.status === 'fulfilled' ? r.value.applied : (r.reason as { kind?: string }).kind,
    );
    expect(outcomes.sort()).toEqual([400, 'invalid']);
    const failed = [first, second].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((failed.reason as Invalid).issues.every((i) => i.code === 'not_found')).toBe(true);
    expect((await history(m.id, dates[0])).map((h) => h[0])).toEqual(['insert', 'delete']);
    expect((await history(m.id, dates[399])).map((h) => h[0])).toEqual(['insert', 'delete']);
  });

  it('answers a delete of a point another writer has not committed yet: not found, at once', async () => {
    const m = await metric();
    const held = holdOpen([day(m.id, '2024-04-01', '1')]);
    await held.written;
    const removal = deletePoints(storage(), actor(), [day(m.id, '2024-04-01', '1')]);
    // The delete does not see the uncommitted point and answers at once that it is not there.
    await expect(removal).rejects.toMatchObject({ kind: 'not_found' });
    held.release();
    await held.done;
    expect(await history(m.id, '2024-04-01')).toEqual([['insert', null, '1']]);
  });
});
