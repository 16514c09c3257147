import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/api-keys.ts';
import { now } from '../../src/core/clock.ts';
import { hashSecret } from '../../src/core/secrets.ts';
import { revokeApiKey } from '../../src/store/api-keys.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem, keyIdOf } from '../helpers/native.ts';
import { countRows } from '../helpers/rows.ts';

// Browser sessions: an API key exchanged for an HttpOnly, SameSite=Strict cookie that
// authenticates the native API as the key would, until sign-out, the key's revocation, or
// its idle or absolute end; a write through the cookie needs the CSRF header and our origin.

const CSRF = { 'x-kpihub-csrf': '1' };
/** What inject() addresses by default (Host: localhost:80): the server's own origin. */
const OWN_ORIGIN = 'http://localhost';

interface SetCookie {
  name: string;
  value: string;
  attributes: string[];
}

function parseSetCookie(res: LightMyRequestResponse): SetCookie | undefined {
  const header = res.headers['set-cookie'];
  if (header === undefined) return undefined;
  const all = Array.isArray(header) ? header : [header];
  expect(all).toHaveLength(1);
  const [pair, ...attributes] = all[0].split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

describe.each(engines())('browser sessions [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_SIGNIN_RATE_LIMIT_MAX: '1000' });
  const inject = (opts: InjectOptions) => ctx().app.inject(opts);

  /** Signs in with `key` (in the body) and returns the Cookie header to send back. */
  async function signIn(key: string): Promise<string> {
    const res = await inject({ method: 'POST', url: '/v1/session', payload: { api_key: key } });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = parseSetCookie(res);
    if (!cookie) throw new Error('no cookie');
    return `${cookie.name}=${cookie.value}`;
  }
  const withCookie = (cookie: string, opts: InjectOptions): Promise<LightMyRequestResponse> =>
    inject({ ...opts, headers: { cookie, ...(opts.headers ?? {}) } });

  it('signs in with a good key: a 256-bit token in an HttpOnly, SameSite=Strict cookie for Path=/', async () => {
    const res = await inject({ method: 'POST', url: '/v1/session', payload: { api_key: ctx().orgA.write } });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = parseSetCookie(res);
    expect(cookie?.name).toBe('kpihub_session');
    expect(cookie?.value).toMatch(/^kphs_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(cookie?.value.slice(5) ?? '', 'base64url')).toHaveLength(32);
    // Exactly these attributes: no Domain (host-only), no Secure over plain HTTP.
    expect(cookie?.attributes).toEqual(['Path=/', 'Max-Age=604800', 'HttpOnly', 'SameSite=Strict']);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({
      via: 'session',
      org_id: ctx().orgA.id,
      org_name: 'Org A',
      key_id: await keyIdOf(ctx().store, ctx().orgA.write),
      key_name: 'write',
      scopes: ['write'],
      created_at: expect.any(String),
      expires_at: expect.any(String),
      idle_expires_at: expect.any(String),
    });
    expect(Date.parse(body.expires_at) - Date.parse(body.created_at)).toBe(7 * 24 * 3600_000);
    expect(Date.parse(body.idle_expires_at) - Date.parse(body.created_at)).toBe(12 * 3600_000);
    // The key never comes back, in any header or the body.
    expect(JSON.stringify(res.headers) + res.body).not.toContain(ctx().orgA.write);
  });

  it('takes the key from the Authorization or x-api-key header too, with no body', async () => {
    for (const headers of [
      { authorization: `Bearer ${ctx().orgA.read}` },
      { 'x-api-key': ctx().orgA.read },
    ]) {
      const res = await inject({ method: 'POST', url: '/v1/session', headers });
      expect(res.statusCode, res.body).toBe(200);
      expect(parseSetCookie(res)?.name).toBe('kpihub_session');
      expect(res.json().scopes).toEqual(['read']);
    }
  });

  it('marks the cookie Secure when the request came over HTTPS (a proxy saying so)', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'x-forwarded-proto': 'https' },
      payload: { api_key: ctx().orgA.read },
    });
    expect(parseSetCookie(res)?.attributes).toEqual([
      'Path=/',
      'Max-Age=604800',
      'HttpOnly',
      'SameSite=Strict',
      'Secure',
    ]);
  });

  it('answers 401 and sets no cookie for a bad key or none; stores no session', async () => {
    const before = await countRows(ctx().store, 'sessions');
    for (const opts of [
      { payload: { api_key: 'kph_0000000000000000000000000000000000000000' } },
      { payload: { api_key: ctx().orgA.read.slice(0, -1) } },
      { headers: { authorization: 'Bearer kph_nope' } },
      { payload: {} },
      {},
    ] as InjectOptions[]) {
      const res = await inject({ method: 'POST', url: '/v1/session', ...opts });
      expectProblem(res, 401);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expectProblem(await inject({ method: 'POST', url: '/v1/session', payload: { key: 'x' } }), 400);
    expect(await countRows(ctx().store, 'sessions')).toBe(before);
  });

  it('refuses a sign-in posted from another site (Origin), with no cookie', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/session',
      headers: { origin: 'https://evil.example' },
      payload: { api_key: ctx().orgA.read },
    });
    expectProblem(res, 403);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it("reads the organization's data with the cookie alone, and says who is signed in", async () => {
    const created = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      payload: { name: 'Seen through the session' },
    });
    expect(created.statusCode).toBe(201);
    const cookie = await signIn(ctx().orgA.read);
    const list = await withCookie(cookie, { method: 'GET', url: '/v1/datasets' });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().items.map((d: { name: string }) => d.name)).toContain('Seen through the session');
    const one = await withCookie(cookie, { method: 'GET', url: `/v1/datasets/${created.json().id}` });
    expect(one.statusCode).toBe(200);
    const me = await withCookie(cookie, { method: 'GET', url: '/v1/session' });
    expect(me.statusCode).toBe(200);
    expect(me.headers['cache-control']).toBe('no-store');
    expect(me.json()).toMatchObject({
      via: 'session',
      org_id: ctx().orgA.id,
      key_name: 'read',
      scopes: ['read'],
    });
    // The same question with a key header answers for the key.
    const byKey = await ctx().call(ctx().orgA.admin, { method: 'GET', url: '/v1/session' });
    expect(byKey.json()).toMatchObject({
      via: 'api_key',
      org_id: ctx().orgA.id,
      scopes: ['read', 'write', 'admin'],
      expires_at: null,
    });
  });

  it("gives another organization's session 404 on A's ids and none of A's data", async () => {
    const created = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      payload: { name: 'A only, not for B' },
    });
    const id = created.json().id as string;
    const b = await signIn(ctx().orgB.admin);
    expectProblem(await withCookie(b, { method: 'GET', url: `/v1/datasets/${id}` }), 404);
    expectProblem(
      await withCookie(b, {
        method: 'PATCH',
        url: `/v1/datasets/${id}`,
        headers: { ...CSRF, origin: OWN_ORIGIN },
        payload: { description: 'B was here' },
      }),
      404,
    );
    expectProblem(
      await withCookie(b, { method: 'DELETE', url: `/v1/datasets/${id}`, headers: { ...CSRF } }),
      404,
    );
    const list = await withCookie(b, { method: 'GET', url: '/v1/datasets' });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('A only');
    expect((await withCookie(b, { method: 'GET', url: '/v1/session' })).json().org_id).toBe(ctx().orgB.id);
    const still = await ctx().call(ctx().orgA.read, { method: 'GET', url: `/v1/datasets/${id}` });
    expect(still.json().description).toBeNull();
  });

  it('signs out: the row is gone, the cookie cleared and no longer accepted', async () => {
    const cookie = await signIn(ctx().orgA.read);
    expect((await withCookie(cookie, { method: 'GET', url: '/v1/datasets' })).statusCode).toBe(200);
    // Sign-out is a write: without the CSRF header it is refused and the session holds.
    expectProblem(await withCookie(cookie, { method: 'DELETE', url: '/v1/session' }), 403);
    expect((await withCookie(cookie, { method: 'GET', url: '/v1/datasets' })).statusCode).toBe(200);
    const out = await withCookie(cookie, { method: 'DELETE', url: '/v1/session', headers: CSRF });
    expect(out.statusCode, out.body).toBe(204);
    expect(parseSetCookie(out)).toEqual({
      name: 'kpihub_session',
      value: '',
      attributes: ['Path=/', 'Max-Age=0', 'HttpOnly', 'SameSite=Strict'],
    });
    const token = cookie.split('=')[1];
    const rows = await ctx()
      .store.db.selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', hashSecret(token).hash)
      .execute();
    expect(rows).toEqual([]);
    // At once in this process (no cache wait), and from a fresh read as well.
    const after = await withCookie(cookie, { method: 'GET', url: '/v1/datasets' });
    expectProblem(after, 401);
    expect(parseSetCookie(after)?.attributes).toContain('Max-Age=0');
    ctx().app.services.sessions.forget();
    expectProblem(await withCookie(cookie, { method: 'GET', url: '/v1/session' }), 401);
    // Signing out again (or with a key and no cookie) is a harmless 204.
    expect((await ctx().call(ctx().orgA.read, { method: 'DELETE', url: '/v1/session' })).statusCode).toBe(
      204,
    );
  });

  it('ends the session when its key is revoked', async () => {
    const { key, secret } = await createApiKey(createStorage(ctx().store), {
      orgId: ctx().orgA.id,
      name: 'revoked soon',
      scopes: ['read', 'write'],
    });
    const cookie = await signIn(secret);
    expect((await withCookie(cookie, { method: 'GET', url: '/v1/datasets' })).statusCode).toBe(200);
    expect(await revokeApiKey(ctx().store.db, key.id, now())).toBe(true);
    // Sessions, like keys, cache their answer for a few seconds; a test need not wait.
    ctx().app.services.sessions.forget();
    expectProblem(await withCookie(cookie, { method: 'GET', url: '/v1/datasets' }), 401);
    expectProblem(
      await withCookie(cookie, {
        method: 'POST',
        url: '/v1/datasets',
        headers: CSRF,
        payload: { name: 'after revocation' },
      }),
      401,
    );
    // And a revoked key cannot sign in again.
    ctx().app.services.authenticator.forget();
    expectProblem(await inject({ method: 'POST', url: '/v1/session', payload: { api_key: secret } }), 401);
  });

  it('ends a session idle for 12 hours, or 7 days after sign-in', async () => {
    const idle = await signIn(ctx().orgA.read);
    const old = await signIn(ctx().orgA.read);
    const hashOf = (cookie: string) => hashSecret(cookie.split('=')[1]).hash;
    const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
    await ctx()
      .store.db.updateTable('sessions')
      .set({ last_seen_at: ago(12 * 3600_000 + 1000) })
      .where('token_hash', '=', hashOf(idle))
      .execute();
    await ctx()
      .store.db.updateTable('sessions')
      .set({ expires_at: ago(1000) })
      .where('token_hash', '=', hashOf(old))
      .execute();
    ctx().app.services.sessions.forget();
    expectProblem(await withCookie(idle, { method: 'GET', url: '/v1/datasets' }), 401);
    expectProblem(await withCookie(old, { method: 'GET', url: '/v1/datasets' }), 401);
    // The next sign-in sweeps them away.
    await signIn(ctx().orgA.read);
    const left = await ctx()
      .store.db.selectFrom('sessions')
      .select('token_hash')
      .where('token_hash', 'in', [hashOf(idle), hashOf(old)])
      .execute();
    expect(left).toEqual([]);
  });

  it('refuses a cookie write without the CSRF header, or from another origin; stores nothing', async () => {
    const cookie = await signIn(ctx().orgA.write);
    const before = await countRows(ctx().store, 'datasets');
    const post = (headers: Record<string, string>) =>
      withCookie(cookie, { method: 'POST', url: '/v1/datasets', headers, payload: { name: 'forged' } });
    const refused: Record<string, string>[] = [
      {},
      { origin: OWN_ORIGIN },
      { 'x-kpihub-csrf': '' },
      { ...CSRF, origin: 'https://evil.example' },
      { ...CSRF, origin: 'http://localhost.evil.example' },
      { ...CSRF, origin: 'http://localhost:8081' },
      { ...CSRF, origin: 'null' },
      { ...CSRF, referer: 'https://evil.example/page' },
    ];
    for (const headers of refused) {
      const body = expectProblem(await post(headers), 403);
      expect(body.title, JSON.stringify(headers)).toBe('Forbidden');
    }
    expect(await countRows(ctx().store, 'datasets')).toBe(before);
    // With the header, from our own origin (or with no Origin: not a browser's cross-site request).
    for (const headers of [
      { ...CSRF, origin: OWN_ORIGIN },
      { ...CSRF, referer: `${OWN_ORIGIN}/dashboard` },
      { ...CSRF },
    ]) {
      const res = await post(headers);
      expect(res.statusCode, res.body).toBe(201);
      // Recorded as the key's doing, as a key-authenticated write would be.
      expect(res.json().created_by).toBe(await keyIdOf(ctx().store, ctx().orgA.write));
    }
    expect(await countRows(ctx().store, 'datasets')).toBe(before + 3);
  });

  it('leaves key-authenticated writes as they were: no CSRF header needed, whatever the Origin', async () => {
    const res = await ctx().call(ctx().orgA.write, {
      method: 'POST',
      url: '/v1/datasets',
      headers: { origin: 'https://elsewhere.example' },
      payload: { name: 'by key' },
    });
    expect(res.statusCode).toBe(201);
  });

  it("keeps the session's scopes: a read-only session cannot write", async () => {
    const cookie = await signIn(ctx().orgA.read);
    const res = await withCookie(cookie, {
      method: 'POST',
      url: '/v1/datasets',
      headers: { ...CSRF, origin: OWN_ORIGIN },
      payload: { name: 'not allowed' },
    });
    expect(expectProblem(res, 403).detail).toMatch(/write/);
  });

  it('lets a key header decide alone: a bad key beside a good cookie is a 401', async () => {
    const cookie = await signIn(ctx().orgA.read);
    expectProblem(
      await withCookie(cookie, {
        method: 'GET',
        url: '/v1/datasets',
        headers: { authorization: 'Bearer kph_x' },
      }),
      401,
    );
  });

  it('is not accepted by the vendor dialects, which take keys', async () => {
    const cookie = await signIn(ctx().orgA.admin);
    // Dcycle (under /v1 too), Visible, Vitally: each answers 401 in its own shape.
    const dcycle = await withCookie(cookie, { method: 'GET', url: '/v1/custom-kpi-datasets' });
    expect(dcycle.statusCode).toBe(401);
    expect(dcycle.json()).toEqual({ detail: expect.any(String), code: 'UNAUTHORIZED' });
    const visible = await withCookie(cookie, { method: 'GET', url: '/data_points' });
    expect(visible.statusCode).toBe(401);
    expect(visible.json()).toEqual({ errors: [{ type: 'unauthorized' }] });
    const vitally = await withCookie(cookie, {
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: CSRF,
      payload: [{ type: 'account', accountId: 'x', traits: {} }],
    });
    expect(vitally.statusCode).toBe(401);
  });

  it('stores only the SHA-256 of the token, never the token or the key', async () => {
    const cookie = await signIn(ctx().orgA.write);
    const token = cookie.split('=')[1];
    const rows = await ctx().store.db.selectFrom('sessions').selectAll().execute();
    const row = rows.find((r) => r.token_hash === hashSecret(token).hash);
    expect(row).toMatchObject({
      org_id: ctx().orgA.id,
      key_id: await keyIdOf(ctx().store, ctx().orgA.write),
      scopes: 'write',
    });
    for (const r of rows) {
      for (const value of Object.values(r)) {
        expect(String(value)).not.toContain(token.slice(5));
        expect(String(value)).not.toContain(ctx().orgA.write.slice(4));
      }
    }
  });
});

describe.each(engines())('sign-in rate limit [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_SIGNIN_RATE_LIMIT_MAX: '3' });

  it('counts every attempt per address, and answers 429 beyond the limit', async () => {
    const attempt = (key: string) =>
      ctx().app.inject({ method: 'POST', url: '/v1/session', payload: { api_key: key } });
    expect((await attempt('kph_wrong')).statusCode).toBe(401);
    expect((await attempt('kph_wrong')).statusCode).toBe(401);
    expect((await attempt(ctx().orgA.read)).statusCode).toBe(200);
    const limited = await attempt(ctx().orgA.read);
    expectProblem(limited, 429);
    expect(limited.headers['set-cookie']).toBeUndefined();
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Other routes keep their own, generous limit.
    expect((await ctx().call(ctx().orgA.read, { method: 'GET', url: '/v1/datasets' })).statusCode).toBe(200);
  });
});
