import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Invalid } from '../../src/core/errors.ts';
import { newId } from '../../src/core/ids.ts';
import type { BatchChunk } from '../../src/core/imports/batch-runner.ts';
import { readAhead, takeAhead } from '../../src/core/imports/read-ahead.ts';
import type { JobContext, QueuedJob } from '../../src/core/job-handler.ts';
import { createMetric, type Metric, updateMetric, withDimensions } from '../../src/core/metrics.ts';
import type { PointInput } from '../../src/core/points/point-input.ts';
import { withPointWriter } from '../../src/core/points/write.ts';
import { checkInputs } from '../../src/core/points/writer.ts';
import { msSincePointWrite } from '../../src/core/rollups/refresher.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// A Workiva job reads and checks its metric's next batch while its own is written
// (core/imports/read-ahead.ts); the writer uses those checks only if the metric still reads
// the same (PointWriter.add). The job context here is a plain object: the look ahead only
// asks it for the next job, and the storage and writer are the real ones.

describe.each(engines())('batches read ahead [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const storage = () => createStorage(ctx().store);
  const actor = (): Actor => ({ orgId: ctx().orgA.id, actor: 'alice', keyId: 'k', scopes: ['write'] });
  const metric = (): Promise<Metric> =>
    createMetric(storage(), actor(), null, { name: 'Energy', value_type: 'number' });
  const inputs = (m: Metric, values: string[]): PointInput[] =>
    values.map((value, i) => ({
      metricId: m.id,
      periodStart: `2024-01-${String(i + 1).padStart(2, '0')}`,
      value,
      path: `data[${i}]`,
    }));
  /** A running job whose next one (`next`) is queued, or none. */
  const running = (next: QueuedJob | undefined) =>
    ({ actor: actor(), nextInOrder: async () => next }) as unknown as JobContext;
  const queued = (id: string): QueuedJob => ({
    id,
    kind: 'test.batch',
    meta: {},
    payload: async function* () {},
  });
  /** Stages `chunks` and writes them, one transaction; what the writer found is thrown as Invalid. */
  const apply = (chunks: BatchChunk[]) =>
    withPointWriter(storage(), actor(), async (w) => {
      w.stageWrites(1000);
      for (const c of chunks) await w.add(c.inputs, c.checked);
      await w.flush(1000);
      return w.applied;
    });
  const stored = async (m: Metric) =>
    (
      await ctx()
        .store.db.selectFrom('data_points')
        .select(['period_start', 'value'])
        .where('org_id', '=', ctx().orgA.id)
        .where('metric_id', '=', m.id)
        .orderBy('period_start')
        .execute()
    ).map((r) => r.value);

  it('reads and checks the next job once, and hands it to that job alone', async () => {
    const m = await metric();
    const id = newId();
    const chunk = { inputs: inputs(m, ['1', 'x', '3']), issues: [], read: 3 };
    await readAhead(running(queued(id)), storage(), async function* () {
      yield chunk;
    });
    const [ready] = (await takeAhead(id)) ?? [];
    expect(ready.inputs).toBe(chunk.inputs);
    expect(ready.checked?.normalized.map((n) => n.value)).toEqual(['1', '3']);
    expect(ready.checked?.issues).toEqual([expect.objectContaining({ field: 'data[1].value' })]);
    expect(ready.checked?.metrics.get(m.id)).toBe(JSON.stringify(await metricAsRead(m)));
    // Taken: the job reads its payload itself if it runs again (a retry).
    expect(await takeAhead(id)).toBeUndefined();
    // The bad value fails the batch as it would unchecked; nothing is stored.
    await expect(apply([ready])).rejects.toThrow(Invalid);
    expect(await stored(m)).toEqual([]);
  });

  it('keeps nothing when no job is queued next, or one the source does not read, or one that fails', async () => {
    const m = await metric();
    await readAhead(running(undefined), storage(), () => {
      throw new Error('not asked');
    });
    const other = newId();
    await readAhead(running(queued(other)), storage(), () => undefined);
    expect(await takeAhead(other)).toBeUndefined();
    const failing = newId();
    await readAhead(running(queued(failing)), storage(), async function* () {
      yield { inputs: inputs(m, ['1']), issues: [], read: 1 };
      throw new Error('payload gone');
    });
    expect(await takeAhead(failing)).toBeUndefined();
  });

  it('keeps nothing for a job that started before its look ahead, and stops the reading it drops', async () => {
    const m = await metric();
    // The job started (its batch before committed and it was claimed at once): it reads its own payload.
    const late = newId();
    expect(await takeAhead(late)).toBeUndefined();
    let asked = false;
    await readAhead(running(queued(late)), storage(), () => {
      asked = true;
      return undefined;
    });
    expect(asked).toBe(false);
    // Two are kept at most: a third drops the oldest, and its reading stops.
    const read = new Map<string, number>();
    const slow = (id: string) =>
      async function* () {
        for (let i = 0; i < 40; i++) {
          await new Promise((r) => setTimeout(r, 5));
          read.set(id, i + 1);
          yield { inputs: inputs(m, ['1']), issues: [], read: 1 };
        }
      };
    const [a, b, c] = [newId(), newId(), newId()];
    for (const id of [a, b, c]) await readAhead(running(queued(id)), storage(), slow(id));
    const [bChunks, cChunks] = await Promise.all([takeAhead(b), takeAhead(c)]);
    expect([bChunks?.length, cChunks?.length]).toEqual([40, 40]);
    expect(await takeAhead(a)).toBeUndefined();
    expect(read.get(a) ?? 0).toBeLessThan(40);
  });

  it('checks again when the metric changed after the look ahead', async () => {
    const m = await metric();
    const batch = inputs(m, ['12', 'twelve']);
    const checked = await checkInputs(storage(), ctx().orgA.id, batch);
    expect(checked?.issues).toHaveLength(1);
    // Text values now: 'twelve' is good, and the check made ahead no longer holds.
    await updateMetric(storage(), actor(), m.id, { value_type: 'text' });
    expect(await apply([{ inputs: batch, issues: [], read: 2, checked }])).toBe(2);
    expect(await stored(m)).toEqual(['12', 'twelve']);
  });

  it('uses the checks made ahead while the metric reads the same (where the writer stages)', async () => {
    const m = await metric();
    const checked = await checkInputs(storage(), ctx().orgA.id, inputs(m, ['7', '8']));
    // Checks of other values than given: only a writer that used them stores 7 and 8.
    await apply([{ inputs: inputs(m, ['5', '6']), issues: [], read: 2, checked }]);
    // SQLite writes as it goes (no staging): it checks what it writes.
    expect(await stored(m)).toEqual(engine === 'postgres' ? ['7', '8'] : ['5', '6']);
  });

  it('inputs that name points by id are not checked ahead (they are read under the write lock)', async () => {
    const m = await metric();
    const byId = [{ metricId: m.id, id: newId(), value: '1', path: 'data[0]' }];
    expect(await checkInputs(storage(), ctx().orgA.id, byId)).toBeUndefined();
  });

  it('a batch being checked counts as a write for the rollup refresher', async () => {
    const m = await metric();
    await new Promise((r) => setTimeout(r, 30));
    await withPointWriter(storage(), actor(), async (w) => {
      w.stageWrites(1000);
      const before = msSincePointWrite();
      await w.add(inputs(m, ['1']));
      expect(before).toBeGreaterThanOrEqual(25);
      expect(msSincePointWrite()).toBeLessThan(25);
      await w.flush(1000);
    });
  });

  /** The metric as a writer reads it (with its dimensions). */
  async function metricAsRead(m: Metric) {
    const s = storage();
    const [row] = await s.findMetricsByIds(ctx().orgA.id, [m.id]);
    return (await withDimensions(s, [row]))[0];
  }
});
