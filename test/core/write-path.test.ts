import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/context.ts';
import { Invalid, NotFound } from '../../src/core/errors.ts';
import { newId } from '../../src/core/ids.ts';
import { createMetric, type Metric, type MetricInput } from '../../src/core/metrics.ts';
import type { PointInput } from '../../src/core/points/point-input.ts';
import { readPoints } from '../../src/core/points/read.ts';
import { toStoredPoint } from '../../src/core/points/stored-point.ts';
import { deletePoints, withPointWriter, writePoints as writeRows } from '../../src/core/points/write.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

/** The points a write answers with, in the API's shape. */
const writePoints = async (...args: Parameters<typeof writeRows>) =>
  (await writeRows(...args)).rows.map(toStoredPoint);

// The one write path, called directly: every ingestion route ends here.

describe.each(engines())('write path [%s]', (engine) => {
  const ctx = useTestContext(engine);

  const actorA = (extra: Partial<Actor> = {}): Actor => ({
    orgId: ctx().orgA.id,
    actor: 'alice',
    keyId: 'key-a',
    scopes: ['write'],
    requestId: 'req-1',
    ...extra,
  });
  const actorB = (): Actor => ({ orgId: ctx().orgB.id, actor: 'bob', keyId: 'key-b', scopes: ['write'] });

  const metric = (input: Partial<MetricInput> = {}, actor = actorA()): Promise<Metric> =>
    createMetric(createStorage(ctx().store), actor, null, {
      name: 'Revenue',
      value_type: 'number',
      ...input,
    });

  const rows = (metricId: string) =>
    ctx()
      .store.db.selectFrom('data_points')
      .selectAll()
      .where('metric_id', '=', metricId)
      .orderBy('period_start')
      .execute();
  const revisions = (metricId: string) =>
    ctx()
      .store.db.selectFrom('point_revisions')
      .selectAll()
      .where('metric_id', '=', metricId)
      .orderBy('id')
      .execute();
  const revisionsOf = async (pointId: string) =>
    (
      await ctx()
        .store.db.selectFrom('point_revisions')
        .selectAll()
        .where('point_id', '=', pointId)
        .orderBy('id')
        .execute()
    ).map((r) => ({ op: r.op, old_value: r.old_value, new_value: r.new_value }));

  /** Runs fn and returns the Invalid it throws. */
  const invalid = async (fn: () => Promise<unknown>): Promise<Invalid> => {
    const e = await fn().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Invalid);
    return e as Invalid;
  };

  const day = (
    metricId: string,
    date: string,
    value: unknown,
    i = 0,
    extra: Partial<PointInput> = {},
  ): PointInput => ({
    metricId,
    periodStart: date,
    value,
    path: `data_points[${i}]`,
    ...extra,
  });

  it('refuses one dimension named twice (by id and by name), storing nothing', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    const dim = m.dimensions[0].id;
    const e = await invalid(() =>
      writePoints(createStorage(ctx().store), actorA(), [
        day(m.id, '2024-01-01', '1', 0, { coordinates: { [dim]: 'EU', region: 'US' } }),
      ]),
    );
    expect(e.issues).toEqual([
      expect.objectContaining({
        field: 'data_points[0].coordinates.region',
        message: 'dimension "region" is given twice',
      }),
    ]);
    expect(await rows(m.id)).toEqual([]);
  });

  it('writes a batch spanning several metrics, in request order, with a revision for each point', async () => {
    const revenue = await metric();
    const users = await metric({ name: 'Users', value_type: 'integer', dimensions: [{ name: 'region' }] });
    const out = await writePoints(createStorage(ctx().store), actorA(), [
      day(revenue.id, '2024-01-01', '10.50', 0),
      day(users.id, '2024-01-01', '7', 1, { coordinates: { region: 'EU' } }),
      day(revenue.id, '2024-02-01', 20, 2),
      {
        metricId: users.id,
        periodStart: '2024-01-01',
        periodEnd: '2024-03-31',
        coordinates: { [users.dimensions[0].id]: 'US' },
        value: '12',
        path: 'data_points[3]',
      },
    ]);
    expect(out.map((p) => [p.metric_id, p.period_start, p.period_end, p.value, p.coordinates])).toEqual([
      [revenue.id, '2024-01-01', '2024-01-01', '10.5', null],
      [users.id, '2024-01-01', '2024-01-01', '7', { [users.dimensions[0].id]: 'EU' }],
      [revenue.id, '2024-02-01', '2024-02-01', '20', null],
      [users.id, '2024-01-01', '2024-03-31', '12', { [users.dimensions[0].id]: 'US' }],
    ]);
    expect((await rows(revenue.id)).map((r) => r.value)).toEqual(['10.5', '20']);
    expect(await rows(users.id)).toHaveLength(2);
    const revs = [...(await revisions(revenue.id)), ...(await revisions(users.id))];
    expect(revs).toHaveLength(4);
    for (const r of revs) {
      expect(r).toMatchObject({
        op: 'insert',
        old_value: null,
        actor: 'alice',
        request_id: 'req-1',
        job_id: null,
      });
    }
    expect(out.every((p) => p.created_by === 'alice' && p.updated_by === 'alice')).toBe(true);
  });

  it('duplicates of one identity in a batch: the last wins, one row, a revision for each change', async () => {
    const m = await metric();
    const out = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '1', 0),
      day(m.id, '2024-01-01', '2', 1),
      day(m.id, '2024-01-01', '2.0', 2), // the same value again: no change, no revision
      day(m.id, '2024-01-02', '5', 3),
      day(m.id, '2024-01-01', '3', 4, { notes: 'final' }),
    ]);
    expect(out).toHaveLength(5);
    expect(new Set([out[0].id, out[1].id, out[2].id, out[4].id]).size).toBe(1);
    expect(out.map((p) => p.value)).toEqual(['1', '2', '2', '5', '3']);
    const stored = await rows(m.id);
    expect(stored.map((r) => [r.period_start, r.value, r.notes])).toEqual([
      ['2024-01-01', '3', 'final'],
      ['2024-01-02', '5', null],
    ]);
    expect(await revisionsOf(out[0].id)).toEqual([
      { op: 'insert', old_value: null, new_value: '1' },
      { op: 'update', old_value: '1', new_value: '2' },
      { op: 'update', old_value: '2', new_value: '3' },
    ]);
  });

  it('an unchanged write adds no revision and answers with the stored point as it is', async () => {
    const m = await metric();
    const [first] = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '10.990', 0, { notes: 'n', dataSource: { system: 'erp' } }),
    ]);
    const before = await revisions(m.id);
    const [again] = await writePoints(
      createStorage(ctx().store),
      actorA({ actor: 'carol', requestId: 'req-2' }),
      [day(m.id, '2024-01-01', '10.99', 0, { notes: 'n', dataSource: { system: 'erp' } })],
    );
    expect(await revisions(m.id)).toEqual(before);
    const [row] = await rows(m.id);
    expect(again).toEqual(first);
    expect(again.updated_at).toBe(row.updated_at);
    expect(again.updated_by).toBe('alice');
    // A value left out keeps the stored one: still no change.
    await writePoints(createStorage(ctx().store), actorA(), [
      { metricId: m.id, periodStart: '2024-01-01', path: 'p' },
    ]);
    expect(await revisions(m.id)).toEqual(before);
  });

  it('`id` wins over period + coordinates', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    const [p] = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '1', 0, { coordinates: { region: 'EU' } }),
    ]);
    const [q] = await writePoints(createStorage(ctx().store), actorA(), [
      {
        metricId: m.id,
        id: p.id,
        periodStart: '2024-06-01',
        coordinates: { region: 'US' },
        value: '2',
        path: 'x',
      },
    ]);
    expect(q).toMatchObject({ id: p.id, period_start: '2024-01-01', value: '2', coordinates: p.coordinates });
    expect((await rows(m.id)).map((r) => [r.id, r.period_start, r.value])).toEqual([
      [p.id, '2024-01-01', '2'],
    ]);
    // Neither period nor coordinates are checked when an id is given.
    await writePoints(createStorage(ctx().store), actorA(), [
      { metricId: m.id, id: p.id, value: '3', path: 'x' },
    ]);
    expect((await rows(m.id))[0].value).toBe('3');
  });

  it('an id no point has falls back to period + coordinates when they are given; an id a point has wins', async () => {
    const m = await metric();
    const storage = createStorage(ctx().store);
    const [p] = await writePoints(storage, actorA(), [day(m.id, '2024-01-01', '1')]);
    const [byPeriod] = await writePoints(storage, actorA(), [
      { metricId: m.id, id: newId(), periodStart: '2024-01-01', value: '2', path: 'v[0]' },
    ]);
    expect(byPeriod).toMatchObject({ id: p.id, period_start: '2024-01-01', value: '2' });
    const [byId] = await writePoints(storage, actorA(), [
      { metricId: m.id, id: p.id, periodStart: '2024-02-01', value: '3', path: 'v[0]' },
    ]);
    expect(byId).toMatchObject({ id: p.id, period_start: '2024-01-01', value: '3' });

    // A period the caller could not read is reported only when it is needed.
    const periodIssues = [{ field: 'v[0].reportingPeriod.start', message: 'must be a month from 1 to 12' }];
    const [kept] = await writePoints(storage, actorA(), [
      { metricId: m.id, id: p.id, periodIssues, value: '4', path: 'v[0]' },
    ]);
    expect(kept).toMatchObject({ id: p.id, value: '4' });
    const e = await invalid(() =>
      writePoints(storage, actorA(), [
        { metricId: m.id, id: newId(), periodIssues, value: '5', path: 'v[0]' },
      ]),
    );
    expect(e.issues).toEqual(periodIssues);

    // Deletes follow the same rule.
    expect(
      await deletePoints(storage, actorA(), [
        { metricId: m.id, id: newId(), periodStart: '2024-01-01', path: 'v[0]' },
      ]),
    ).toBe(1);
    expect((await rows(m.id)).map((r) => [r.id, r.deleted_at !== null])).toEqual([[p.id, true]]);
  });

  it('an id must name a live point of this metric and organization', async () => {
    const m = await metric();
    const other = await metric({ name: 'Other' });
    const theirs = await metric({ name: 'Theirs' }, actorB());
    const [mine] = await writePoints(createStorage(ctx().store), actorA(), [day(m.id, '2024-01-01', '1')]);
    const [gone] = await writePoints(createStorage(ctx().store), actorA(), [day(m.id, '2024-01-02', '1')]);
    await deletePoints(createStorage(ctx().store), actorA(), [{ metricId: m.id, id: gone.id, path: 'id' }]);
    const [foreign] = await writePoints(createStorage(ctx().store), actorB(), [
      day(theirs.id, '2024-01-01', '7'),
    ]);
    const before = { rows: await rows(m.id), revs: await revisions(m.id), theirs: await rows(theirs.id) };

    const e = await invalid(() =>
      writePoints(createStorage(ctx().store), actorA(), [
        { metricId: m.id, id: newId(), value: '2', path: 'v[0]' },
        { metricId: m.id, id: 'not-a-uuid', value: '2', path: 'v[1]' },
        { metricId: other.id, id: mine.id, value: '2', path: 'v[2]' },
        { metricId: m.id, id: foreign.id, value: '2', path: 'v[3]' },
        { metricId: m.id, id: gone.id, value: '2', path: 'v[4]' },
        { metricId: m.id, id: mine.id, value: '9', path: 'v[5]' },
      ]),
    );
    expect(e.issues.map((i) => [i.field, i.code])).toEqual([
      ['v[0].id', 'not_found'],
      ['v[1].id', 'not_found'],
      ['v[2].id', 'conflict'],
      ['v[3].id', 'not_found'],
      ['v[4].id', 'not_found'],
    ]);
    expect(await rows(m.id)).toEqual(before.rows);
    expect(await revisions(m.id)).toEqual(before.revs);
    expect(await rows(theirs.id)).toEqual(before.theirs);
  });

  it('`clear` resets the named fields; fields left out keep their values', async () => {
    const m = await metric();
    const full = {
      notes: 'note',
      status: 'approved',
      dataSource: { file: 'a.csv' },
      task: 'T-1',
    };
    const [p] = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '5', 0, full),
    ]);
    expect(p).toMatchObject({
      value: '5',
      notes: 'note',
      status: 'approved',
      data_source: { file: 'a.csv' },
      task: 'T-1',
    });

    const [q] = await writePoints(createStorage(ctx().store), actorA(), [
      { metricId: m.id, periodStart: '2024-01-01', clear: ['notes', 'dataSource'], path: 'x' },
    ]);
    expect(q).toMatchObject({ value: '5', notes: null, status: 'approved', data_source: null, task: 'T-1' });
    // clear wins over a value given for the same field
    const [r] = await writePoints(createStorage(ctx().store), actorA(), [
      {
        metricId: m.id,
        periodStart: '2024-01-01',
        value: '8',
        task: 'T-2',
        clear: ['value', 'status', 'task'],
        path: 'x',
      },
    ]);
    expect(r).toMatchObject({ value: null, notes: null, status: null, data_source: null, task: null });
    const [row] = await rows(m.id);
    expect(row).toMatchObject({ value: null, notes: null, status: null, data_source: null, task: null });
    expect(await revisionsOf(p.id)).toEqual([
      { op: 'insert', old_value: null, new_value: '5' },
      { op: 'update', old_value: '5', new_value: '5' },
      { op: 'update', old_value: '5', new_value: null },
    ]);
  });

  it('keeps dataSource as given (a JSON round trip); null is no data source', async () => {
    const m = await metric();
    const source = {
      system: 'SAP',
      ids: [1, 2.5, -0.125, 12345678901234],
      nested: { ok: true, none: null, text: 'ünïcödé "quoted" \\ \n' },
      empty: {},
    };
    const [p] = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '1', 0, { dataSource: source }),
    ]);
    expect(p.data_source).toEqual(source);
    const [row] = await rows(m.id);
    expect(JSON.parse(row.data_source as string)).toEqual(source);
    const page = await readPoints(createStorage(ctx().store), ctx().orgA.id, m.id, { limit: 10 });
    expect(page.items[0].data_source).toEqual(source);
    // Scalars and arrays are kept too.
    for (const [i, ds] of (['a string', 42, [1, 'two']] as unknown[]).entries()) {
      const [s] = await writePoints(createStorage(ctx().store), actorA(), [
        day(m.id, `2024-02-0${i + 1}`, '1', 0, { dataSource: ds }),
      ]);
      expect(s.data_source).toEqual(ds);
    }
    // null on a point that has no data source is no change.
    const [bare] = await writePoints(createStorage(ctx().store), actorA(), [day(m.id, '2024-03-01', '1')]);
    const before = await revisionsOf(bare.id);
    const [same] = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-03-01', '1', 0, { dataSource: null }),
    ]);
    expect(same.data_source).toBeNull();
    expect(await revisionsOf(bare.id)).toEqual(before);
    expect((await rows(m.id)).find((r) => r.id === bare.id)?.data_source).toBeNull();
  });

  it('coordinates by dimension id or name name one identity; bad coordinates are issues', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }, { name: 'product' }] });
    const [region, product] = m.dimensions;
    const [a] = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '1', 0, { coordinates: { region: 'EU', product: 'A' } }),
    ]);
    const [b] = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '2', 0, { coordinates: { [product.id]: 'A', [region.id]: 'EU' } }),
    ]);
    expect(b.id).toBe(a.id);
    expect(b.coordinates).toEqual({ [region.id]: 'EU', [product.id]: 'A' });
    expect(await rows(m.id)).toHaveLength(1);

    const plain = await metric({ name: 'Plain' });
    const e = await invalid(() =>
      writePoints(createStorage(ctx().store), actorA(), [
        day(m.id, '2024-01-01', '1', 0, { coordinates: { region: 'EU' } }),
        day(m.id, '2024-01-01', '1', 1, { coordinates: { region: 'EU', product: 'A', colour: 'red' } }),
        day(m.id, '2024-01-01', '1', 2, { coordinates: { region: '', product: 'A' } }),
        day(m.id, '2024-01-01', '1', 3, { coordinates: null }),
        day(plain.id, '2024-01-01', '1', 4, { coordinates: { region: 'EU' } }),
      ]),
    );
    expect(e.issues.map((i) => i.field)).toEqual([
      `data_points[0].coordinates.${product.id}`,
      'data_points[1].coordinates.colour',
      'data_points[2].coordinates.region',
      `data_points[3].coordinates.${region.id}`,
      'data_points[4].coordinates',
    ]);
    expect(await rows(m.id)).toHaveLength(1);
    expect(await rows(plain.id)).toHaveLength(0);
  });

  it('reports every problem of a batch with its path and line, and stores nothing', async () => {
    const m = await metric();
    const e = await invalid(() =>
      writePoints(createStorage(ctx().store), actorA(), [
        day(m.id, '2024-01-01', '1', 0),
        day(m.id, '2023-02-29', '1', 1, { line: 3 }),
        {
          metricId: m.id,
          periodStart: '2024-02-01',
          periodEnd: '2024-01-31',
          value: '1',
          path: 'data_points[2]',
        },
        {
          metricId: m.id,
          periodStart: '2024-02-01',
          periodEnd: '2024-13-01',
          value: '1',
          path: 'data_points[3]',
        },
        day(m.id, '2024-01-05', 'ten', 4, { line: 7 }),
        day(m.id, '2024-01-06', '1', 5, { notes: 'x'.repeat(10_001), status: 's'.repeat(256) }),
        { metricId: m.id, value: '1', path: 'data_points[6]' },
      ]),
    );
    expect(e.issues.map((i) => [i.field, i.line])).toEqual([
      ['data_points[1].period_start', 3],
      ['data_points[2].period_end', undefined],
      ['data_points[3].period_end', undefined],
      ['data_points[4].value', 7],
      ['data_points[5].notes', undefined],
      ['data_points[5].status', undefined],
      ['data_points[6].period_start', undefined],
    ]);
    expect(await rows(m.id)).toHaveLength(0);
    expect(await revisions(m.id)).toHaveLength(0);
  });

  it('a metric of another organization, an unknown or a malformed one is an issue, and nothing is stored', async () => {
    const mine = await metric();
    const theirs = await metric({ name: 'Theirs' }, actorB());
    const e = await invalid(() =>
      writePoints(createStorage(ctx().store), actorA(), [
        day(mine.id, '2024-01-01', '1', 0),
        day(theirs.id, '2024-01-01', '1', 1),
        day(newId(), '2024-01-01', '1', 2),
        day('not-a-uuid', '2024-01-01', '1', 3),
      ]),
    );
    expect(e.issues.map((i) => i.field)).toEqual([
      'data_points[1].metric_id',
      'data_points[2].metric_id',
      'data_points[3].metric_id',
    ]);
    // Even when the caller hands over the other organization's metric as already loaded.
    const e2 = await invalid(() =>
      writePoints(createStorage(ctx().store), actorA(), [day(theirs.id, '2024-01-01', '1')], [theirs]),
    );
    expect(e2.issues[0].field).toBe('data_points[0].metric_id');
    expect(await rows(mine.id)).toHaveLength(0);
    expect(await rows(theirs.id)).toHaveLength(0);
  });

  it('a soft-deleted point written again comes back under its id, with an insert revision', async () => {
    const m = await metric();
    const [p] = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '1', 0, { notes: 'old note' }),
    ]);
    expect(
      await deletePoints(createStorage(ctx().store), actorA(), [
        { metricId: m.id, periodStart: '2024-01-01', path: 'q' },
      ]),
    ).toBe(1);
    expect((await readPoints(createStorage(ctx().store), ctx().orgA.id, m.id, { limit: 10 })).items).toEqual(
      [],
    );
    const [back] = await writePoints(createStorage(ctx().store), actorA({ actor: 'carol' }), [
      day(m.id, '2024-01-01', '2'),
    ]);
    expect(back.id).toBe(p.id);
    // Nothing of the deleted point survives but its id: its note is gone.
    expect(back).toMatchObject({ value: '2', notes: null, updated_by: 'carol' });
    const [row] = await rows(m.id);
    expect(row).toMatchObject({ id: p.id, value: '2', notes: null, deleted_at: null });
    // What the writer answers is what it stored.
    expect({ created_at: back.created_at, created_by: back.created_by, updated_at: back.updated_at }).toEqual(
      {
        created_at: row.created_at,
        created_by: row.created_by,
        updated_at: row.updated_at,
      },
    );
    expect(await revisionsOf(p.id)).toEqual([
      { op: 'insert', old_value: null, new_value: '1' },
      { op: 'delete', old_value: '1', new_value: null },
      { op: 'insert', old_value: null, new_value: '2' },
    ]);
  });

  it('deletePoints: by id or by period + coordinates, all or nothing, a revision each', async () => {
    const m = await metric({ dimensions: [{ name: 'region' }] });
    const pts = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '1', 0, { coordinates: { region: 'EU' } }),
      day(m.id, '2024-01-01', '2', 1, { coordinates: { region: 'US' } }),
      day(m.id, '2024-01-02', '3', 2, { coordinates: { region: 'EU' } }),
    ]);
    // One of two is missing: nothing is deleted, and the missing one is named.
    const e = await invalid(() =>
      deletePoints(createStorage(ctx().store), actorA(), [
        { metricId: m.id, id: pts[0].id, path: 'd[0]' },
        { metricId: m.id, periodStart: '2024-05-05', coordinates: { region: 'EU' }, path: 'd[1]', line: 4 },
      ]),
    );
    expect(e.issues).toEqual([expect.objectContaining({ field: 'd[1]', line: 4, code: 'not_found' })]);
    expect((await rows(m.id)).every((r) => r.deleted_at === null)).toBe(true);

    const n = await deletePoints(createStorage(ctx().store), actorA({ requestId: 'req-del' }), [
      { metricId: m.id, id: pts[0].id, path: 'd[0]' },
      { metricId: m.id, periodStart: '2024-01-01', coordinates: { region: 'US' }, path: 'd[1]' },
    ]);
    expect(n).toBe(2);
    const live = (await rows(m.id)).filter((r) => r.deleted_at === null);
    expect(live.map((r) => r.id)).toEqual([pts[2].id]);
    const dels = (await revisions(m.id)).filter((r) => r.op === 'delete');
    expect(dels.map((r) => [r.point_id, r.old_value, r.new_value, r.request_id])).toEqual([
      [pts[0].id, '1', null, 'req-del'],
      [pts[1].id, '2', null, 'req-del'],
    ]);
    // A single missing point is a plain NotFound; deleting twice finds nothing the second time.
    await expect(
      deletePoints(createStorage(ctx().store), actorA(), [{ metricId: m.id, id: pts[0].id, path: 'p' }]),
    ).rejects.toBeInstanceOf(NotFound);
    // Another organization cannot delete it, by id or by identity.
    const theirs = actorB();
    await expect(
      deletePoints(createStorage(ctx().store), theirs, [{ metricId: m.id, id: pts[2].id, path: 'p' }]),
    ).rejects.toThrow();
    await expect(
      deletePoints(createStorage(ctx().store), theirs, [
        { metricId: m.id, periodStart: '2024-01-02', coordinates: { region: 'EU' }, path: 'p' },
      ]),
    ).rejects.toThrow();
    expect((await rows(m.id)).find((r) => r.id === pts[2].id)?.deleted_at).toBeNull();
  });

  it('withPointWriter: chunk 3 of 5 is bad → nothing stored; issues from chunks 3..5 with their lines', async () => {
    const m = await metric();
    const chunk = (c: number, bad: number[] = []) =>
      Array.from({ length: 10 }, (_, i) => {
        const line = c * 10 + i + 2; // a header line, then one point a line
        return {
          metricId: m.id,
          periodStart: `2024-0${c + 1}-${String(i + 1).padStart(2, '0')}`,
          value: bad.includes(i) ? 'oops' : String(line),
          path: `rows[${c * 10 + i}]`,
          line,
        };
      });
    const seen: { applied: number; issues: number }[] = [];
    const e = await invalid(() =>
      withPointWriter(createStorage(ctx().store), actorA({ jobId: 'job-1' }), async (w) => {
        const plan = [chunk(0), chunk(1), chunk(2, [3, 7]), chunk(3, [0]), chunk(4, [9])];
        for (const c of plan) {
          await w.add(c);
          seen.push({ applied: w.applied, issues: w.issues.length });
        }
        return 'done';
      }),
    );
    expect(seen).toEqual([
      { applied: 10, issues: 0 },
      { applied: 20, issues: 0 },
      { applied: 20, issues: 2 },
      { applied: 20, issues: 3 },
      { applied: 20, issues: 4 },
    ]);
    expect(e.issues.map((i) => [i.field, i.line])).toEqual([
      ['rows[23].value', 25],
      ['rows[27].value', 29],
      ['rows[30].value', 32],
      ['rows[49].value', 51],
    ]);
    expect(await rows(m.id)).toHaveLength(0);
    expect(await revisions(m.id)).toHaveLength(0);
  });

  it('withPointWriter: good chunks commit together; revisions record the job, actor and request', async () => {
    const m = await metric();
    const other = await metric({ name: 'Other', value_type: 'text' });
    const out = await withPointWriter(
      createStorage(ctx().store),
      actorA({ actor: 'importer', requestId: 'req-9', jobId: 'job-7' }),
      async (w) => {
        await w.add([day(m.id, '2024-01-01', '1'), day(other.id, '2024-01-01', 'hello')]);
        // A later chunk updates a point of an earlier one: it sees it inside the transaction.
        await w.add([day(m.id, '2024-01-01', '2'), day(m.id, '2024-01-02', '3')]);
        await w.add([]);
        return w.applied;
      },
    );
    expect(out).toBe(4);
    expect((await rows(m.id)).map((r) => r.value)).toEqual(['2', '3']);
    expect((await rows(other.id)).map((r) => r.value)).toEqual(['hello']);
    const revs = [...(await revisions(m.id)), ...(await revisions(other.id))];
    expect(revs).toHaveLength(4);
    for (const r of revs)
      expect(r).toMatchObject({ actor: 'importer', request_id: 'req-9', job_id: 'job-7' });
    expect((await revisions(m.id)).map((r) => [r.op, r.old_value, r.new_value])).toEqual([
      ['insert', null, '1'],
      ['update', '1', '2'],
      ['insert', null, '3'],
    ]);
  });

  it('staged writes flushed a few at a time: every identity ends at its last input, its revisions in order', async () => {
    // Pieces of 2 with two of them in hand at once (PostgreSQL stages; SQLite writes as it
    // goes): identities repeated across what would be piece boundaries, stored ones among them.
    const m = await metric();
    await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-02', '0'),
      day(m.id, '2024-01-05', '0'),
    ]);
    const dates = ['01', '02', '02', '02', '03', '04', '04', '05', '05', '06', '07', '07', '07', '08'];
    const inputs = dates.map((d, i) => day(m.id, `2024-01-${d}`, `${i + 1}`, i));
    await withPointWriter(createStorage(ctx().store), actorA(), async (w) => {
      w.stageWrites(100);
      for (let i = 0; i < inputs.length; i += 3) await w.add(inputs.slice(i, i + 3));
      await w.flush(2);
    });
    const last = new Map(dates.map((d, i) => [`2024-01-${d}`, `${i + 1}`]));
    expect((await rows(m.id)).map((r) => [String(r.period_start), r.value])).toEqual([...last.entries()]);
    // Per identity, one revision per input, each from the value before it.
    for (const r of await rows(m.id)) {
      const day0 = String(r.period_start);
      const own = dates.flatMap((d, i) => (`2024-01-${d}` === day0 ? [`${i + 1}`] : []));
      const stored = day0 === '2024-01-02' || day0 === '2024-01-05';
      const expected = own.map((v, k) => {
        const before = k > 0 ? own[k - 1] : stored ? '0' : null;
        return { op: before === null ? 'insert' : 'update', old_value: before, new_value: v };
      });
      expect(await revisionsOf(r.id)).toEqual([
        ...(stored ? [{ op: 'insert', old_value: null, new_value: '0' }] : []),
        ...expected,
      ]);
    }
  });

  it('withPointWriter.remove: chunked deletes are all or nothing, missing points named with their lines', async () => {
    const m = await metric();
    const pts = await writePoints(createStorage(ctx().store), actorA(), [
      day(m.id, '2024-01-01', '1', 0),
      day(m.id, '2024-01-02', '2', 1),
      day(m.id, '2024-01-03', '3', 2),
    ]);
    const e = await invalid(() =>
      withPointWriter(createStorage(ctx().store), actorA(), async (w) => {
        expect(await w.remove([{ metricId: m.id, id: pts[0].id, path: 'd[0]', line: 2 }])).toBe(1);
        expect(
          await w.remove([
            { metricId: m.id, periodStart: '2024-01-02', path: 'd[1]', line: 3 },
            { metricId: m.id, periodStart: '2024-09-09', path: 'd[2]', line: 4 },
            { metricId: m.id, id: pts[0].id, path: 'd[3]', line: 5 }, // deleted in chunk 1
          ]),
        ).toBe(0);
        expect(await w.remove([{ metricId: m.id, periodStart: '2024-13-01', path: 'd[4]', line: 6 }])).toBe(
          0,
        );
      }),
    );
    // Every problem, a missing point beside a bad one in its chunk too.
    expect(e.issues.map((i) => [i.field, i.line]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ['d[2]', 4],
      ['d[3].id', 5],
      ['d[4].period_start', 6],
    ]);
    expect((await rows(m.id)).every((r) => r.deleted_at === null)).toBe(true);
    expect((await revisions(m.id)).map((r) => r.op)).toEqual(['insert', 'insert', 'insert']);

    const n = await withPointWriter(createStorage(ctx().store), actorA({ jobId: 'job-d' }), async (w) => {
      await w.remove([{ metricId: m.id, id: pts[0].id, path: 'd[0]' }]);
      await w.remove([{ metricId: m.id, periodStart: '2024-01-02', path: 'd[1]' }]);
      return w.applied;
    });
    expect(n).toBe(2);
    expect((await rows(m.id)).filter((r) => r.deleted_at === null).map((r) => r.id)).toEqual([pts[2].id]);
    expect((await revisions(m.id)).filter((r) => r.op === 'delete').map((r) => r.job_id)).toEqual([
      'job-d',
      'job-d',
    ]);
  });

  it('withPointWriter: an error thrown by the caller rolls back what was added', async () => {
    const m = await metric();
    await expect(
      withPointWriter(createStorage(ctx().store), actorA(), async (w) => {
        await w.add([day(m.id, '2024-01-01', '1')]);
        throw new Error('stream broke');
      }),
    ).rejects.toThrow('stream broke');
    expect(await rows(m.id)).toHaveLength(0);
    expect(await revisions(m.id)).toHaveLength(0);
  });

  it('concurrent writes of one identity each land, as ordered revisions (no lost update)', async () => {
    const m = await metric();
    const [p] = await writePoints(createStorage(ctx().store), actorA(), [day(m.id, '2024-01-01', '0')]);
    const writes = Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0
        ? writePoints(createStorage(ctx().store), actorA(), [day(m.id, '2024-01-01', String(i + 1))])
        : writePoints(createStorage(ctx().store), actorA(), [
            { metricId: m.id, id: p.id, value: String(i + 1), path: 'x' },
          ]),
    );
    await Promise.all(writes);
    const revs = await revisionsOf(p.id);
    expect(revs).toHaveLength(9);
    // Each revision starts where the one before it ended: no write saw a stale value.
    for (let i = 1; i < revs.length; i++) expect(revs[i].old_value).toBe(revs[i - 1].new_value);
    expect((await rows(m.id))[0].value).toBe(revs[8].new_value);
  });
});
