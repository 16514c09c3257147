import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/api-keys.ts';
import { now } from '../../src/core/clock.ts';
import { hashSecret } from '../../src/core/secrets.ts';
import { revokeApiKey } from '../../src/store/api-keys.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A problem+json of the native API for a non-validation error: no field errors. */
function expectPlainProblem(res: LightMyRequestResponse, status: number) {
  const body = expectProblem(res, status);
  expect(body.errors).toEqual([]);
  return body;
}

describe.each(engines())('API key authentication [%s]', (engine) => {
  const ctx = useTestContext(engine);
  const list = (headers: Record<string, string>) =>
    ctx().app.inject({ method: 'GET', url: '/v1/datasets', headers });

  it('accepts the key in every header form', async () => {
    const key = ctx().orgA.read;
    const forms: Record<string, Record<string, string>> = {
      bearer: { authorization: `Bearer ${key}` },
      'API-KEY': { authorization: `API-KEY ${key}` },
      'basic as is': { authorization: `Basic ${key}` },
      'basic key:': { authorization: `Basic ${b64(`${key}:`)}` },
      'basic :key': { authorization: `Basic ${b64(`:${key}`)}` },
      'x-api-key': { 'x-api-key': key },
      'lower-case scheme': { authorization: `bearer ${key}` },
    };
    for (const [form, headers] of Object.entries(forms)) {
      const res = await list(headers);
      expect(res.statusCode, form).toBe(200);
      expect(res.json().items, form).toEqual([]);
    }
  });

  it('answers 401 in problem+json with no key, a bad key or a malformed header', async () => {
    const bad: Record<string, string>[] = [
      {},
      { authorization: 'Bearer kph_not-a-real-key' },
      { 'x-api-key': 'nope' },
      { authorization: `Basic ${b64('user:password')}` },
      { authorization: `Token ${ctx().orgA.read}` },
      { authorization: 'Bearer' },
    ];
    for (const headers of bad) {
      const body = expectPlainProblem(await list(headers), 401);
      expect(body.title).toBe('Unauthorized');
    }
  });

  it('answers 403 when the key lacks the scope, and stores nothing', async () => {
    const res = await ctx().call(ctx().orgA.read, {
      method: 'POST',
      url: '/v1/datasets',
      payload: { name: 'not allowed' },
    });
    const body = expectPlainProblem(res, 403);
    expect(body.detail).toMatch(/write/);
    const rows = await ctx().store.db.selectFrom('datasets').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('answers 401 and 403 in the error shape of the route dialect (Dcycle)', async () => {
    const post = (headers: Record<string, string>) =>
      ctx().app.inject({ method: 'POST', url: '/v1/custom-kpi-datasets', headers, payload: { name: 'x' } });
    const unauthorized = await post({});
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.json()).toEqual({ detail: expect.any(String), code: 'UNAUTHORIZED' });
    const forbidden = await post({ 'x-api-key': ctx().orgA.read });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual({ detail: expect.any(String), code: 'FORBIDDEN' });
    expect(await ctx().store.db.selectFrom('datasets').selectAll().execute()).toEqual([]);
  });

  it('lets write imply read, and admin imply both', async () => {
    expect((await ctx().call(ctx().orgA.write, { method: 'GET', url: '/v1/datasets' })).statusCode).toBe(200);
    const res = await ctx().call(ctx().orgA.admin, {
      method: 'POST',
      url: '/v1/datasets',
      payload: { name: 'by admin' },
    });
    expect(res.statusCode).toBe(201);
    await ctx().call(ctx().orgA.admin, { method: 'DELETE', url: `/v1/datasets/${res.json().id}` });
  });

  it('stops accepting a revoked key', async () => {
    const { key, secret } = await createApiKey(createStorage(ctx().store), {
      orgId: ctx().orgA.id,
      name: 'soon revoked',
      scopes: ['read'],
    });
    expect((await list({ authorization: `Bearer ${secret}` })).statusCode).toBe(200);
    expect(await revokeApiKey(ctx().store.db, key.id, now())).toBe(true);
    // The authenticator caches answers for a few seconds; a test need not wait for that.
    ctx().app.services.authenticator.forget();
    expectPlainProblem(await list({ authorization: `Bearer ${secret}` }), 401);
    expectPlainProblem(await list({ 'x-api-key': secret }), 401);
  });

  it('stores only the hash of the secret, and records when the key was last used', async () => {
    const { key, secret } = await createApiKey(createStorage(ctx().store), {
      orgId: ctx().orgA.id,
      name: 'hashed',
      scopes: ['read'],
    });
    expect(secret).toMatch(/^kph_[\w-]{40,}$/);
    const before = await ctx()
      .store.db.selectFrom('api_keys')
      .selectAll()
      .where('id', '=', key.id)
      .executeTakeFirstOrThrow();
    expect(before.last_used_at).toBeNull();
    for (const value of Object.values(before)) {
      expect(String(value)).not.toContain(secret);
      expect(String(value)).not.toContain(secret.slice(4));
    }
    expect(before.secret_hash).toBe(hashSecret(secret).hash);
    expect(before.secret_hash).toMatch(/^[0-9a-f]{64}$/);

    const t0 = Date.now();
    expect((await list({ 'x-api-key': secret })).statusCode).toBe(200);
    // last_used_at is bookkeeping written beside the request, not before its answer.
    const lastUsed = () =>
      ctx()
        .store.db.selectFrom('api_keys')
        .select('last_used_at')
        .where('id', '=', key.id)
        .executeTakeFirstOrThrow()
        .then((r) => r.last_used_at);
    await expect.poll(lastUsed, { timeout: 5000 }).not.toBeNull();
    expect(Date.parse((await lastUsed()) as string)).toBeGreaterThanOrEqual(t0 - 1000);
  });

  it('authenticates public routes not at all and protected routes always', async () => {
    expect((await ctx().app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expectPlainProblem(await ctx().app.inject({ method: 'GET', url: '/v1/metrics' }), 401);
  });
});
