import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/api-keys.ts';
import { hashSecret } from '../../src/core/secrets.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createStorage } from '../../src/store/storage.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem, keyIdOf, walkPages } from '../helpers/native.ts';
import { countRows } from '../helpers/rows.ts';

// API key administration (/v1/api-keys): admin keys create, list, read and revoke their
// organization's keys. The secret is in the creating answer only (never in a read, a
// replay, the idempotency table or the database); a revocation holds at the next request
// and ends the key's sessions; the last active admin key of an organization stays.

const KEY_FIELDS = [
  'created_at',
  'created_by',
  'id',
  'last_used_at',
  'name',
  'prefix',
  'revoked_at',
  'scopes',
];

describe.each(engines())('API keys [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_SIGNIN_RATE_LIMIT_MAX: '1000' });
  const call = (key: string | null, opts: InjectOptions) => ctx().call(key, opts);

  async function create(
    payload: { name: string; scopes: string[] },
    by = ctx().orgA.admin,
  ): Promise<{ id: string; secret: string; body: Record<string, unknown> }> {
    const res = await call(by, { method: 'POST', url: '/v1/api-keys', payload });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    return { id: body.id, secret: body.secret, body };
  }

  const row = (id: string) =>
    ctx().store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  /** Who a key (or a session cookie) authenticates as: its key id, or the status it gets. */
  async function whoAmI(auth: { key?: string; cookie?: string }): Promise<string | number> {
    const res = await ctx().app.inject({
      method: 'GET',
      url: '/v1/session',
      headers: {
        ...(auth.key ? { authorization: `Bearer ${auth.key}` } : {}),
        ...(auth.cookie ? { cookie: auth.cookie } : {}),
      },
    });
    return res.statusCode === 200 ? res.json().key_id : res.statusCode;
  }

  async function signIn(key: string): Promise<string> {
    const res = await ctx().app.inject({ method: 'POST', url: '/v1/session', payload: { api_key: key } });
    expect(res.statusCode, res.body).toBe(200);
    return String(res.headers['set-cookie']).split(';')[0];
  }

  it('creates a key: 201 with its secret once, no-store; the secret authenticates; only its hash is stored', async () => {
    const res = await call(ctx().orgA.admin, {
      method: 'POST',
      url: '/v1/api-keys',
      payload: { name: 'Nightly ETL', scopes: ['read', 'write'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    const adminId = await keyIdOf(ctx().store, ctx().orgA.admin);
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Nightly ETL',
      prefix: body.secret.slice(0, 12),
      scopes: ['read', 'write'],
      created_at: expect.any(String),
      created_by: adminId,
      last_used_at: null,
      revoked_at: null,
      secret: expect.stringMatching(/^kph_[A-Za-z0-9_-]{43}$/),
    });
    expect(body.prefix).toMatch(/^kph_.{8}$/);
    expect(Date.parse(body.created_at)).toBeGreaterThan(Date.now() - 60_000);

    expect(await whoAmI({ key: body.secret })).toBe(body.id);
    // A write key: not an admin.
    expectProblem(await call(body.secret, { method: 'GET', url: '/v1/api-keys' }), 403);

    const stored = await row(body.id);
    expect(stored).toMatchObject({
      org_id: ctx().orgA.id,
      name: 'Nightly ETL',
      scopes: 'read,write',
      prefix: body.prefix,
      created_by: adminId,
      secret_hash: hashSecret(body.secret).hash,
    });
    expect(JSON.stringify(stored)).not.toContain(body.secret.slice(12));
  });

  it('reads a key and lists keys without any secret', async () => {
    const made = await create({ name: 'reader for BI', scopes: ['read'] });
    const got = await call(ctx().orgA.admin, { method: 'GET', url: `/v1/api-keys/${made.id}` });
    expect(got.statusCode, got.body).toBe(200);
    const { secret: _secret, ...withoutSecret } = made.body;
    expect(got.json()).toEqual(withoutSecret);
    expect(Object.keys(got.json()).sort()).toEqual(KEY_FIELDS);

    const list = await call(ctx().orgA.admin, { method: 'GET', url: '/v1/api-keys' });
    expect(list.statusCode, list.body).toBe(200);
    const items = list.json().items as Record<string, unknown>[];
    expect(items).toContainEqual(withoutSecret);
    for (const item of items) expect(Object.keys(item).sort()).toEqual(KEY_FIELDS);
    // Every key made since migration 0008 (the setup's too) keeps its prefix.
    expect(items.every((i) => typeof i.prefix === 'string')).toBe(true);
    for (const body of [got.body, list.body]) {
      expect(body).not.toContain(made.secret);
      expect(body).not.toContain(made.secret.slice(12));
      expect(body).not.toMatch(/secret|hash/i);
    }
  });

  it("pages through the organization's keys; revoked ones only with include_revoked", async () => {
    const made: { id: string }[] = [];
    for (let i = 0; i < 5; i++) made.push(await create({ name: `paged ${i}`, scopes: ['read'] }));
    const revoke = await call(ctx().orgA.admin, { method: 'DELETE', url: `/v1/api-keys/${made[0].id}` });
    expect(revoke.statusCode).toBe(204);
    const active = await walkPages<{ id: string; revoked_at: string | null }>(
      (o) => call(ctx().orgA.admin, o),
      '/v1/api-keys',
      2,
    );
    expect(active.pages).toBeGreaterThan(2);
    const ids = active.items.map((i) => i.id);
    for (const m of made.slice(1)) expect(ids).toContain(m.id);
    expect(ids).not.toContain(made[0].id);
    expect(ids).not.toContain(await keyIdOf(ctx().store, ctx().orgB.admin));
    expect(active.items.every((i) => i.revoked_at === null)).toBe(true);
    // In id order: the cursor's order.
    expect(ids).toEqual([...ids].sort());

    const all = await walkPages<{ id: string; revoked_at: string | null }>(
      (o) => call(ctx().orgA.admin, o),
      '/v1/api-keys?include_revoked=true',
      2,
    );
    expect(all.items.find((i) => i.id === made[0].id)?.revoked_at).toEqual(expect.any(String));
    expect(all.items.length).toBe(active.items.length + (await revokedCount(ctx().orgA.id)));
  });

  async function revokedCount(orgId: string): Promise<number> {
    const rows = await ctx()
      .store.db.selectFrom('api_keys')
      .select('id')
      .where('org_id', '=', orgId)
      .where('revoked_at', 'is not', null)
      .execute();
    return rows.length;
  }

  it('refuses invalid bodies with a problem naming the field, and stores nothing', async () => {
    const cases: [string, InjectOptions['payload'], string][] = [
      ['no body fields', {}, 'name'],
      ['no scopes', { name: 'x' }, 'scopes'],
      ['no name', { scopes: ['read'] }, 'name'],
      ['an empty name', { name: '', scopes: ['read'] }, 'name'],
      ['a name of 101 characters', { name: 'n'.repeat(101), scopes: ['read'] }, 'name'],
      ['a name that is no string', { name: 7, scopes: ['read'] }, 'name'],
      ['no scope at all', { name: 'x', scopes: [] }, 'scopes'],
      ['an unknown scope', { name: 'x', scopes: ['read', 'root'] }, 'scopes[1]'],
      ['a scope twice', { name: 'x', scopes: ['read', 'read'] }, 'scopes'],
      ['scopes as a string', { name: 'x', scopes: 'read,write' }, 'scopes'],
      ['an unknown property', { name: 'x', scopes: ['read'], secret: 'kph_mine' }, 'secret'],
    ];
    const before = await countRows(ctx().store, 'api_keys');
    for (const [what, payload, field] of cases) {
      const res = await call(ctx().orgA.admin, { method: 'POST', url: '/v1/api-keys', payload });
      const problem = expectProblem(res, 400);
      expect(
        problem.errors.map((e) => e.field),
        `${what}: ${res.body}`,
      ).toContain(field);
    }
    // A name of exactly 100 characters is fine (the bound is inclusive).
    await create({ name: 'n'.repeat(100), scopes: ['admin'] });
    expect(await countRows(ctx().store, 'api_keys')).toBe(before + 1);
  });

  it('refuses read and write keys on every key route (403), and changes nothing', async () => {
    const target = await create({ name: 'target', scopes: ['read'] });
    const before = await countRows(ctx().store, 'api_keys');
    for (const key of [ctx().orgA.read, ctx().orgA.write]) {
      for (const opts of [
        { method: 'POST', url: '/v1/api-keys', payload: { name: 'x', scopes: ['admin'] } },
        { method: 'GET', url: '/v1/api-keys' },
        { method: 'GET', url: `/v1/api-keys/${target.id}` },
        { method: 'DELETE', url: `/v1/api-keys/${target.id}` },
      ] as InjectOptions[]) {
        const problem = expectProblem(await call(key, opts), 403);
        expect(problem.detail).toMatch(/admin scope/);
      }
    }
    expect(await countRows(ctx().store, 'api_keys')).toBe(before);
    expect((await row(target.id)).revoked_at).toBeNull();
    expect(await whoAmI({ key: target.secret })).toBe(target.id);
  });

  it("answers 404 to another organization's admin on a key's id, and never lists it there", async () => {
    const target = await create({ name: 'A only', scopes: ['read'] });
    const b = ctx().orgB.admin;
    expectProblem(await call(b, { method: 'GET', url: `/v1/api-keys/${target.id}` }), 404);
    expectProblem(await call(b, { method: 'DELETE', url: `/v1/api-keys/${target.id}` }), 404);
    expect((await row(target.id)).revoked_at).toBeNull();
    expect(await whoAmI({ key: target.secret })).toBe(target.id);
    const list = await call(b, { method: 'GET', url: '/v1/api-keys?include_revoked=true&limit=500' });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((i: { id: string }) => i.id)).toEqual([
      await keyIdOf(ctx().store, ctx().orgB.admin),
    ]);
    expect(list.body).not.toContain('A only');
    // An id that is no key, and one that is no uuid.
    expectProblem(
      await call(ctx().orgA.admin, {
        method: 'GET',
        url: '/v1/api-keys/00000000-0000-4000-8000-000000000000',
      }),
      404,
    );
    expectProblem(await call(ctx().orgA.admin, { method: 'DELETE', url: '/v1/api-keys/nope' }), 400);
  });

  it('revokes a key: 401 at its next request (though just cached), its sessions end, it stays listed as revoked', async () => {
    const target = await create({ name: 'to revoke', scopes: ['read', 'write', 'admin'] });
    const cookie = await signIn(target.secret);
    const other = await signIn(target.secret);
    // Both answers are now in this process's caches.
    expect(await whoAmI({ key: target.secret })).toBe(target.id);
    expect(await whoAmI({ cookie })).toBe(target.id);
    const sessionsOf = () =>
      ctx().store.db.selectFrom('sessions').select('token_hash').where('key_id', '=', target.id).execute();
    expect(await sessionsOf()).toHaveLength(2);
    const sessionsBefore = await countRows(ctx().store, 'sessions');

    const res = await call(ctx().orgA.admin, { method: 'DELETE', url: `/v1/api-keys/${target.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');

    expect(await whoAmI({ key: target.secret })).toBe(401);
    expect(await whoAmI({ cookie })).toBe(401);
    expect(await whoAmI({ cookie: other })).toBe(401);
    expect(await sessionsOf()).toHaveLength(0);
    // Only its own sessions went.
    expect(await countRows(ctx().store, 'sessions')).toBe(sessionsBefore - 2);
    const revoked = (await row(target.id)).revoked_at;
    expect(revoked).not.toBeNull();
    const got = await call(ctx().orgA.admin, { method: 'GET', url: `/v1/api-keys/${target.id}` });
    expect(got.json().revoked_at).toEqual(expect.any(String));

    // Again: nothing changes.
    const again = await call(ctx().orgA.admin, { method: 'DELETE', url: `/v1/api-keys/${target.id}` });
    expect(again.statusCode, again.body).toBe(204);
    expect((await row(target.id)).revoked_at).toEqual(revoked);
  });

  it("refuses to revoke the organization's last active admin key (409), changing nothing", async () => {
    const storage = createStorage(ctx().store);
    const org = await insertOrganization(ctx().store.db, `lonely ${engine}`);
    const first = await createApiKey(storage, { orgId: org.id, name: 'only admin', scopes: ['admin'] });
    const writer = await createApiKey(storage, { orgId: org.id, name: 'writer', scopes: ['read', 'write'] });
    const cookie = await signIn(first.secret);
    const sessionsBefore = await countRows(ctx().store, 'sessions');

    const refused = expectProblem(
      await call(first.secret, { method: 'DELETE', url: `/v1/api-keys/${first.key.id}` }),
      409,
    );
    expect(refused.detail).toMatch(/last active admin key/);
    expect((await row(first.key.id)).revoked_at).toBeNull();
    expect(await whoAmI({ key: first.secret })).toBe(first.key.id);
    expect(await whoAmI({ cookie })).toBe(first.key.id);
    expect(await countRows(ctx().store, 'sessions')).toBe(sessionsBefore);

    // A key without admin goes; a second admin key lets the first go, and is then the last.
    expect(
      (await call(first.secret, { method: 'DELETE', url: `/v1/api-keys/${writer.key.id}` })).statusCode,
    ).toBe(204);
    const second = await create({ name: 'second admin', scopes: ['read', 'admin'] }, first.secret);
    expect(second.body.created_by).toBe(first.key.id);
    expect(
      (await call(second.secret, { method: 'DELETE', url: `/v1/api-keys/${first.key.id}` })).statusCode,
    ).toBe(204);
    expect(await whoAmI({ key: first.secret })).toBe(401);
    expectProblem(await call(second.secret, { method: 'DELETE', url: `/v1/api-keys/${second.id}` }), 409);
    expect((await row(second.id)).revoked_at).toBeNull();
  });

  it('revokes only one of the last two admin keys when both are revoked at once', async () => {
    const storage = createStorage(ctx().store);
    const org = await insertOrganization(ctx().store.db, `pair ${engine}`);
    const one = await createApiKey(storage, { orgId: org.id, name: 'one', scopes: ['admin'] });
    const two = await createApiKey(storage, { orgId: org.id, name: 'two', scopes: ['admin'] });
    // Each revokes the other: alone, either would be allowed.
    const answers = await Promise.all([
      call(one.secret, { method: 'DELETE', url: `/v1/api-keys/${two.key.id}` }),
      call(two.secret, { method: 'DELETE', url: `/v1/api-keys/${one.key.id}` }),
    ]);
    // One revoke wins. The other finds the last admin key (409) or, when the first has
    // committed before it was authenticated, that its own key is revoked (401): either way
    // it revoked nothing.
    const codes = answers.map((r) => r.statusCode).sort();
    expect(codes[0]).toBe(204);
    expect([401, 409]).toContain(codes[1]);
    const active = await ctx()
      .store.db.selectFrom('api_keys')
      .select('id')
      .where('org_id', '=', org.id)
      .where('revoked_at', 'is', null)
      .execute();
    expect(active).toHaveLength(1);
  });

  it('answers an Idempotency-Key replay of a creation with a 409 naming the key, never the secret', async () => {
    const idem = { 'idempotency-key': `create-${engine}-${Date.now()}` };
    const payload = { name: 'created once', scopes: ['read'] };
    const before = await countRows(ctx().store, 'api_keys');
    const first = await call(ctx().orgA.admin, {
      method: 'POST',
      url: '/v1/api-keys',
      headers: idem,
      payload,
    });
    expect(first.statusCode, first.body).toBe(201);
    const { id, secret } = first.json();

    for (let i = 0; i < 2; i++) {
      const replay = await call(ctx().orgA.admin, {
        method: 'POST',
        url: '/v1/api-keys',
        headers: idem,
        payload,
      });
      const problem = expectProblem(replay, 409);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(problem.detail).toContain(id);
      expect(replay.body).not.toContain(secret);
      expect(replay.body).not.toContain(secret.slice(12));
    }
    expect(await countRows(ctx().store, 'api_keys')).toBe(before + 1);
    const stored = await ctx().store.db.selectFrom('idempotency_keys').selectAll().execute();
    const record = stored.find((r) => r.key === idem['idempotency-key']);
    expect(record?.status_code).toBe(409);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(12));
    // The key itself works: only the answer was withheld.
    expect(await whoAmI({ key: secret })).toBe(id);
  });
});
