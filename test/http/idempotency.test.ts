import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { beginIdempotent, finishIdempotent, requestHash } from '../../src/core/idempotency.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';

// Idempotency-Key on native writes: replay, 422 on another request, 409 while the first
// still runs, expiry after the window, server errors not remembered.

const body = (value: string) => ({ data_points: [{ date: '2024-01-01', value }] });

describe.each(engines())('Idempotency-Key [%s]', (engine) => {
  const ctx = useTestContext(engine);

  const metric = async (key = ctx().orgA.write) => {
    const res = await ctx().call(key, {
      method: 'POST',
      url: '/v1/metrics',
      payload: { name: 'Revenue', value_type: 'number' },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const put = (metricId: string, payload: object, idemKey?: string, key = ctx().orgA.write) =>
    ctx().call(key, {
      method: 'PUT',
      url: `/v1/metrics/${metricId}/data_points`,
      payload,
      headers: idemKey === undefined ? {} : { 'idempotency-key': idemKey },
    });
  const stored = (metricId: string) =>
    ctx()
      .store.db.selectFrom('data_points')
      .select(['value'])
      .where('metric_id', '=', metricId)
      .execute()
      .then((rows) => rows.map((r) => r.value));
  const revisionCount = async (metricId: string) =>
    (
      await ctx()
        .store.db.selectFrom('point_revisions')
        .select('id')
        .where('metric_id', '=', metricId)
        .execute()
    ).length;
  const keyRow = (orgId: string, key: string) =>
    ctx()
      .store.db.selectFrom('idempotency_keys')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('key', '=', key)
      .executeTakeFirst();
  /** What the hook hashes for a PUT of `payload` to this metric. */
  const hashOf = (metricId: string, payload: object) =>
    requestHash(['PUT', `/v1/metrics/${metricId}/data_points`, JSON.stringify(payload)]);
  const insertKey = (row: { key: string; hash: string; state: 'processing' | 'done'; expiresInMs: number }) =>
    ctx()
      .store.db.insertInto('idempotency_keys')
      .values({
        org_id: ctx().orgA.id,
        key: row.key,
        request_hash: row.hash,
        state: row.state,
        status_code: row.state === 'done' ? 200 : null,
        response_body: row.state === 'done' ? '{"data_points":[]}' : null,
        response_type: row.state === 'done' ? 'application/json; charset=utf-8' : null,
        created_at: new Date(Date.now() - 60_000).toISOString(),
        expires_at: new Date(Date.now() + row.expiresInMs).toISOString(),
      })
      .execute();

  it('409 while the first request with the key is still processing; nothing is applied', async () => {
    const m = await metric();
    const payload = body('5');
    await insertKey({
      key: `proc-${m}`,
      hash: hashOf(m, payload),
      state: 'processing',
      expiresInMs: 3600_000,
    });
    const res = await put(m, payload, `proc-${m}`);
    expectProblem(res, 409);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await stored(m)).toEqual([]);
    expect(await revisionCount(m)).toBe(0);
    // The first request still holds the key.
    expect(await keyRow(ctx().orgA.id, `proc-${m}`)).toMatchObject({
      state: 'processing',
      status_code: null,
    });
    // Another body under the held key is still "another request": 422.
    const other = await put(m, body('6'), `proc-${m}`);
    expect(expectProblem(other, 422).errors[0].field).toBe('Idempotency-Key');
    expect(await stored(m)).toEqual([]);
  });

  it('an expired key is forgotten: a processing or finished one no longer blocks, another body runs', async () => {
    const m = await metric();
    await insertKey({
      key: `stuck-${m}`,
      hash: hashOf(m, body('5')),
      state: 'processing',
      expiresInMs: -1000,
    });
    const first = await put(m, body('5'), `stuck-${m}`);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await stored(m)).toEqual(['5']);

    // An expired finished answer of another request: not replayed, not 422.
    await insertKey({ key: `old-${m}`, hash: hashOf(m, body('1')), state: 'done', expiresInMs: -1000 });
    const second = await put(m, body('7'), `old-${m}`);
    expect(second.statusCode, second.body).toBe(200);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json().data_points[0].value).toBe('7');
    expect(await stored(m)).toEqual(['7']);
    // The key now remembers the new answer, for a new window.
    const row = await keyRow(ctx().orgA.id, `old-${m}`);
    expect(row).toMatchObject({ state: 'done', status_code: 200, request_hash: hashOf(m, body('7')) });
    expect(new Date(row?.expires_at ?? 0).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
  });

  it('a rejected request is remembered too: its retry replays the 422, a fixed body needs a new key', async () => {
    const m = await metric();
    const bad = await put(m, body('ten'), `bad-${m}`);
    expect(expectProblem(bad, 422).errors[0].field).toBe('data_points[0].value');
    const again = await put(m, body('ten'), `bad-${m}`);
    expect(again.statusCode).toBe(422);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.body).toBe(bad.body);
    expect((await put(m, body('10'), `bad-${m}`)).statusCode).toBe(422);
    expect(await stored(m)).toEqual([]);
    expect((await put(m, body('10'), `good-${m}`)).statusCode).toBe(200);
    expect(await stored(m)).toEqual(['10']);
  });

  it('replays a DELETE’s 204; a key longer than 255 characters is refused; reads ignore the header', async () => {
    const m = await metric();
    const p = (await put(m, body('1'))).json().data_points[0];
    const del = () =>
      ctx().call(ctx().orgA.write, {
        method: 'DELETE',
        url: `/v1/metrics/${m}/data_points/${p.id}`,
        headers: { 'idempotency-key': `del-${m}` },
      });
    expect((await del()).statusCode).toBe(204);
    const replay = await del();
    expect(replay.statusCode).toBe(204);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe('');

    const long = await put(m, body('2'), 'k'.repeat(256));
    expect(expectProblem(long, 422).errors[0].field).toBe('Idempotency-Key');
    expect(await stored(m)).toEqual([null]); // still the deleted point only
    expect(await keyRow(ctx().orgA.id, 'k'.repeat(256))).toBeUndefined();

    const read = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: `/v1/metrics/${m}/data_points`,
      headers: { 'idempotency-key': `read-${m}` },
    });
    expect(read.statusCode).toBe(200);
    expect(await keyRow(ctx().orgA.id, `read-${m}`)).toBeUndefined();
  });

  it('concurrent requests with one key apply once', async () => {
    const m = await metric();
    const results = await Promise.all(Array.from({ length: 6 }, () => put(m, body('3'), `race-${m}`)));
    for (const r of results) expect([200, 409]).toContain(r.statusCode);
    const applied = results.filter(
      (r) => r.statusCode === 200 && r.headers['idempotent-replayed'] === undefined,
    );
    expect(applied).toHaveLength(1);
    expect(await revisionCount(m)).toBe(1);
  });

  it('core: a server error is not remembered, so the same key may retry', async () => {
    const orgId = ctx().orgA.id;
    const db = createStorage(ctx().store);
    expect(await beginIdempotent(db, orgId, 'core-5xx', 'h1', 60)).toBeNull();
    await finishIdempotent(db, orgId, 'core-5xx', {
      status: 503,
      body: '{}',
      contentType: 'application/json',
    });
    expect(await keyRow(orgId, 'core-5xx')).toBeUndefined();
    // The retry holds the key afresh, even with another body, and its answer is remembered.
    expect(await beginIdempotent(db, orgId, 'core-5xx', 'h2', 60)).toBeNull();
    await finishIdempotent(db, orgId, 'core-5xx', {
      status: 201,
      body: '{"ok":1}',
      contentType: 'application/json',
    });
    expect(await beginIdempotent(db, orgId, 'core-5xx', 'h2', 60)).toEqual({
      status: 201,
      body: '{"ok":1}',
      contentType: 'application/json',
    });
    // Keys are per organization.
    expect(await beginIdempotent(db, ctx().orgB.id, 'core-5xx', 'h3', 60)).toBeNull();
  });
});

describe.each(engines())('Idempotency-Key window [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_IDEMPOTENCY_WINDOW: '1' });

  it('KPIHUB_IDEMPOTENCY_WINDOW: after the window the key takes another request', async () => {
    const created = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/metrics',
      payload: { name: 'Revenue', value_type: 'number' },
    });
    const m = created.json().id as string;
    const put = (value: string) =>
      ctx().call(ctx().orgA.write, {
        method: 'PUT',
        url: `/v1/metrics/${m}/data_points`,
        payload: body(value),
        headers: { 'idempotency-key': 'short' },
      });
    expect((await put('1')).statusCode).toBe(200);
    expect((await put('2')).statusCode).toBe(422); // within the window
    await sleep(1100);
    const later = await put('2');
    expect(later.statusCode, later.body).toBe(200);
    expect(later.json().data_points[0].value).toBe('2');
  });
});
