import { Writable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApiKey } from '../../src/core/api-keys.ts';
import { buildApp } from '../../src/http/app.ts';
import { loggerOptions } from '../../src/logger.ts';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createStorage } from '../../src/store/storage.ts';
import { createTestStore, engines, type TestDatabase } from '../helpers/engines.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

// The app's own logger options at the most verbose level, writing to memory: whatever a
// request does, its API key must not reach the log.
describe.each(engines())('secrets in logs [%s]', (engine) => {
  let app: FastifyInstance;
  let store: Store;
  let database: TestDatabase;
  let secret = '';
  let readSecret = '';
  let adminSecret = '';
  const lines: string[] = [];

  beforeAll(async () => {
    ({ store, database } = await createTestStore(engine));
    const config = loadConfig({ KPIHUB_DATABASE_URL: database.env, KPIHUB_LOG_LEVEL: 'trace' });
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino(loggerOptions(config), sink) as FastifyBaseLogger;
    app = await buildApp({ config, store, logger });
    const org = await insertOrganization(store.db, 'logged');
    secret = (
      await createApiKey(createStorage(store), { orgId: org.id, name: 'w', scopes: ['read', 'write'] })
    ).secret;
    readSecret = (await createApiKey(createStorage(store), { orgId: org.id, name: 'r', scopes: ['read'] }))
      .secret;
    adminSecret = (await createApiKey(createStorage(store), { orgId: org.id, name: 'a', scopes: ['admin'] }))
      .secret;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await database.drop();
  });

  it('never writes an API key, whichever header carried it and however the request ended', async () => {
    const forms = [
      { authorization: `Bearer ${secret}` },
      { authorization: `API-KEY ${secret}` },
      { authorization: `Basic ${secret}` },
      { authorization: `Basic ${b64(`${secret}:`)}` },
      { 'x-api-key': secret },
    ];
    for (const headers of forms) {
      expect((await app.inject({ method: 'GET', url: '/v1/datasets', headers })).statusCode).toBe(200);
    }
    const auth = { authorization: `Bearer ${secret}` };
    const created = await app.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: auth,
      payload: { name: 'd' },
    });
    expect(created.statusCode).toBe(201);
    // Rejections: validation, not found, scope, a bad key that looks like a real one, Dcycle.
    expect(
      (await app.inject({ method: 'POST', url: '/v1/datasets', headers: auth, payload: {} })).statusCode,
    ).toBe(400);
    expect(
      (await app.inject({ method: 'GET', url: `/v1/datasets/${created.json().id}x`, headers: auth }))
        .statusCode,
    ).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/nowhere', headers: auth })).statusCode).toBe(404);
    const readOnly = { 'x-api-key': readSecret };
    expect(
      (await app.inject({ method: 'POST', url: '/v1/datasets', headers: readOnly, payload: { name: 'x' } }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/v1/datasets',
          headers: { authorization: `Bearer ${secret}x` },
        })
      ).statusCode,
    ).toBe(401);
    const dcycle = await app.inject({
      method: 'POST',
      url: '/v1/custom-kpi-datasets',
      headers: { 'x-api-key': secret },
      payload: { name: '' },
    });
    expect(dcycle.statusCode).toBe(422);

    const log = lines.join('');
    // The capture works: requests were logged, at trace level, with their ids.
    expect(log).toContain('incoming request');
    expect(log).toContain(created.headers['x-request-id']);
    for (const s of [secret, readSecret, secret.slice(4), b64(`${secret}:`)]) expect(log).not.toContain(s);
  });

  it('never writes a session token or the key signed in with', async () => {
    const before = lines.length;
    const signIn = await app.inject({ method: 'POST', url: '/v1/session', payload: { api_key: secret } });
    expect(signIn.statusCode).toBe(200);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0];
    const token = cookie.split('=')[1];
    expect(token).toMatch(/^kphs_/);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/session', headers: { 'x-api-key': readSecret } }))
        .statusCode,
    ).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/datasets', headers: { cookie } })).statusCode).toBe(
      200,
    );
    const write = await app.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { cookie, 'x-kpihub-csrf': '1' },
      payload: { name: 'by session' },
    });
    expect(write.statusCode).toBe(201);
    // Rejections: a forged write, a bad sign-in, sign-out, then the ended session.
    expect(
      (await app.inject({ method: 'POST', url: '/v1/datasets', headers: { cookie }, payload: {} }))
        .statusCode,
    ).toBe(403);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/session', payload: { api_key: `${secret}x` } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie, 'x-kpihub-csrf': '1' } }))
        .statusCode,
    ).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } })).statusCode).toBe(
      401,
    );

    const log = lines.slice(before).join('');
    expect(log).toContain('incoming request');
    expect(log).toContain(write.headers['x-request-id']);
    for (const s of [token, token.slice(5), secret, secret.slice(4), readSecret.slice(4)]) {
      expect(log).not.toContain(s);
    }
  });

  it('never writes the secret of a key created, read, listed, replayed or revoked over /v1/api-keys', async () => {
    const before = lines.length;
    const admin = { authorization: `Bearer ${adminSecret}` };
    const idem = { ...admin, 'idempotency-key': 'logged-create' };
    const payload = { name: 'logged key', scopes: ['read'] };
    const created = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: idem, payload });
    expect(created.statusCode).toBe(201);
    const { id, secret: made } = created.json();
    const replay = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: idem, payload });
    expect(replay.statusCode).toBe(409);
    const used = await app.inject({ method: 'GET', url: '/v1/session', headers: { 'x-api-key': made } });
    expect(used.statusCode).toBe(200);
    for (const url of ['/v1/api-keys', `/v1/api-keys/${id}`]) {
      const res = await app.inject({ method: 'GET', url, headers: admin });
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(made.slice(12));
    }
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: admin })).statusCode,
    ).toBe(204);
    const refused = await app.inject({ method: 'GET', url: '/v1/session', headers: { 'x-api-key': made } });
    expect(refused.statusCode).toBe(401);

    const log = lines.slice(before).join('');
    expect(log).toContain(created.headers['x-request-id']);
    for (const s of [made, made.slice(4), made.slice(12), adminSecret.slice(4)]) expect(log).not.toContain(s);
  });
});
