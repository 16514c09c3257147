import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DialectId } from '../../src/dialects/index.ts';
import { type RouteEntry, registeredRoutes } from '../../src/http/route-policy.ts';
import { type TestContext, useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import {
  createFixture,
  type Fixture,
  fillPath,
  paramExamples,
  type RequestExample,
  requestExamples,
} from '../helpers/route-examples.ts';

// Walks the registered route table, so a new route is covered without anyone writing a
// test for it: every non-public route, in every dialect, answers 401 without a valid key,
// 403 to a key with too weak a scope, and 404 (never A's data) to organization B's key on
// organization A's ids, each in its dialect's error shape; nothing of A's changes. The same
// walk is made with session cookies (POST /v1/session): the native routes take them as they
// take keys (and a cookie write needs the CSRF header), the vendor dialects never do.

type Kind = 'unauthorized' | 'forbidden' | 'not_found';
const STATUS: Record<Kind, number> = { unauthorized: 401, forbidden: 403, not_found: 404 };

/** Each dialect's error body, written out here rather than taken from its formatter. */
function expectDialectError(res: LightMyRequestResponse, dialect: DialectId, kind: Kind, what: string) {
  const head = what.startsWith('HEAD ');
  const status = STATUS[kind];
  expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
  if (head) return; // no body to a HEAD
  const body = res.json();
  switch (dialect) {
    case 'native': {
      expect(String(res.headers['content-type']), what).toMatch(/^application\/problem\+json/);
      expect(body, what).toEqual({
        type: `https://kpihub.dev/problems/${kind.replace('_', '-')}`,
        title: { unauthorized: 'Unauthorized', forbidden: 'Forbidden', not_found: 'Not found' }[kind],
        status,
        detail: expect.any(String),
        errors: [],
      });
      break;
    }
    case 'visible': {
      const type = { unauthorized: 'unauthorized', forbidden: 'forbidden', not_found: 'record_missing' }[
        kind
      ];
      expect(body, what).toEqual({
        errors: [kind === 'forbidden' ? { type, message: expect.any(String) } : { type }],
      });
      break;
    }
    case 'workiva': {
      const code = { unauthorized: '401Unauthorized', forbidden: '403Forbidden', not_found: '404NotFound' }[
        kind
      ];
      expect(body, what).toEqual({ code, message: expect.any(String) });
      break;
    }
    case 'dcycle': {
      const code = { unauthorized: 'UNAUTHORIZED', forbidden: 'FORBIDDEN', not_found: 'NOT_FOUND' }[kind];
      expect(body, what).toEqual({ detail: expect.any(String), code });
      break;
    }
    case 'achieveit':
    case 'vitally':
      expect(body, what).toEqual({ message: expect.any(String) });
      break;
    default:
      throw new Error(`${what}: no error shape known for dialect ${dialect satisfies never}`);
  }
}

/** A key in the form each vendor's clients send it (every form works everywhere). */
function authHeaders(dialect: DialectId, key: string): Record<string, string> {
  switch (dialect) {
    case 'dcycle':
      return { 'x-api-key': key };
    case 'achieveit':
      return { authorization: `API-KEY ${key}` };
    case 'vitally':
      return { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
    default:
      return { authorization: `Bearer ${key}` };
  }
}

const WEAKER: Record<string, ('read' | 'write')[]> = { read: [], write: ['read'], admin: ['read', 'write'] };
const isRead = (method: string) => method === 'GET' || method === 'HEAD';

describe.each(engines())('route table security [%s]', (engine) => {
  const ctx = useTestContext(engine);
  let f: Fixture;
  let routes: RouteEntry<DialectId>[];
  beforeAll(async () => {
    f = await createFixture(ctx());
    routes = registeredRoutes<DialectId>(ctx().app).filter((r) => !r.public);
  });

  const label = (r: RouteEntry) => `${r.method} ${r.url}`;

  /** The route's path filled with A's ids, and its example; fails naming what is missing. */
  function requestFor(
    r: RouteEntry,
    fixture = f,
  ): { path: string; resource: boolean; example: RequestExample } {
    const filled = fillPath(r.url, paramExamples(fixture));
    if ('missing' in filled) {
      throw new Error(
        `${label(r)}: no example for path parameter ${filled.missing} in test/helpers/route-examples.ts`,
      );
    }
    const examples = requestExamples(fixture);
    const key = `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`;
    const example = examples[key];
    if (!example && !isRead(r.method)) {
      throw new Error(`${label(r)}: no request example in test/helpers/route-examples.ts (keyed "${key}")`);
    }
    return { ...filled, example: example ?? {} };
  }

  function inject(
    r: RouteEntry,
    headers: Record<string, string>,
    fixture = f,
  ): Promise<LightMyRequestResponse> {
    const { path, example } = requestFor(r, fixture);
    const opts: InjectOptions = {
      method: r.method as InjectOptions['method'],
      url: example.query ? `${path}?${example.query}` : path,
      headers: { ...(example.headers ?? {}), ...headers },
      ...(example.payload === undefined
        ? {}
        : {
            payload: typeof example.payload === 'string' ? example.payload : JSON.stringify(example.payload),
          }),
    };
    if (example.payload !== undefined && typeof example.payload !== 'string') {
      (opts.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    return ctx().app.inject(opts);
  }

  /**
   * The test database's tables. On PostgreSQL only its own schema is asked about: Kysely's
   * introspection reads every schema's columns, and fails ("schema … does not exist") when
   * another test file drops its schema meanwhile.
   */
  async function tableNames(c: TestContext): Promise<string[]> {
    if (c.store.schema === undefined) return (await c.store.db.introspection.getTables()).map((t) => t.name);
    const { rows } = await sql<{ name: string }>`
      select c.relname as name from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${c.store.schema} and c.relkind in ('r', 'p')`.execute(c.store.db);
    return rows.map((r) => r.name);
  }

  /** Every row count of every table, and what A's own key reads of A's data. */
  async function snapshot(c: TestContext): Promise<{ counts: Record<string, number>; a: string[] }> {
    const counts: Record<string, number> = {};
    for (const name of await tableNames(c)) {
      if (name.startsWith('kysely_')) continue;
      const { rows } = await sql<{
        n: number | string;
      }>`select count(*) as n from ${sql.table(name)}`.execute(c.store.db);
      counts[name] = Number(rows[0].n);
    }
    const a: string[] = [];
    for (const url of [
      `/v1/datasets/${f.datasetId}`,
      `/v1/metrics/${f.metricId}`,
      `/v1/metrics/${f.metricId}/data_points`,
      `/v1/metrics/${f.metricId}/data_points/${f.pointId}/revisions`,
      '/v1/imports',
      `/v1/imports/${f.importId}`,
      `/v1/entities/${f.entityType}/${f.entityId}`,
      '/v1/events',
      `/v1/custom-kpi-datasets/${f.datasetId}`,
      `/v1/api-keys/${f.apiKeyId}`,
    ]) {
      const res = await c.call(c.orgA.admin, { method: 'GET', url });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      a.push(res.body);
    }
    return { counts, a };
  }

  it('covers the whole table: every route has its parameters and examples', () => {
    const missing: string[] = [];
    for (const r of routes) {
      try {
        requestFor(r);
      } catch (error) {
        missing.push((error as Error).message);
      }
    }
    expect(missing).toEqual([]);
    // Every dialect is walked.
    expect(new Set(routes.map((r) => r.dialect))).toEqual(
      new Set(['native', 'dcycle', 'visible', 'workiva', 'achieveit', 'vitally']),
    );
  });

  it('answers 401 in the dialect shape without a key and with an unknown key; stores nothing', async () => {
    const before = await snapshot(ctx());
    for (const r of routes) {
      // GET /metrics with no credentials is another route (Prometheus); an unknown key is Visible's.
      if (r.constraints.credentials !== 'present') {
        expectDialectError(await inject(r, {}), r.dialect, 'unauthorized', `${label(r)} without a key`);
      }
      const unknown = authHeaders(r.dialect, 'kph_0000000000000000000000000000000000000000');
      expectDialectError(
        await inject(r, unknown),
        r.dialect,
        'unauthorized',
        `${label(r)} with an unknown key`,
      );
    }
    expect(await snapshot(ctx())).toEqual(before);
  });

  it('answers 403 in the dialect shape to a key with too weak a scope; stores nothing', async () => {
    const before = await snapshot(ctx());
    let checked = 0;
    for (const r of routes) {
      for (const weak of WEAKER[r.scope as string]) {
        const res = await inject(r, authHeaders(r.dialect, ctx().orgA[weak]));
        expectDialectError(res, r.dialect, 'forbidden', `${label(r)} with a ${weak} key`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(await snapshot(ctx())).toEqual(before);
  });

  it("answers 404 to organization B on A's ids, shows B none of A's data, and changes nothing of A's", async () => {
    const before = (await snapshot(ctx())).a;
    // A's own key finds every resource the read routes name: the ids are real.
    for (const r of routes.filter((r) => r.method === 'GET' && requestFor(r).resource)) {
      const res = await inject(r, authHeaders(r.dialect, ctx().orgA.admin));
      expect([200, 202], `${label(r)} with A's key: ${res.body}`).toContain(res.statusCode);
    }
    for (const r of routes) {
      const { resource, path, example } = requestFor(r);
      const res = await inject(r, authHeaders(r.dialect, ctx().orgB.admin));
      if (resource) {
        expectDialectError(res, r.dialect, 'not_found', `${label(r)} with B's key on A's ids`);
      } else if (f.secrets.some((secret) => example.query?.includes(secret)) && res.statusCode === 404) {
        // A list filtered by one of A's ids: "not found" is as good as an empty list.
        expectDialectError(res, r.dialect, 'not_found', `${label(r)} with B's key, filtered by A's ids`);
      } else {
        // B's own request (a list, a create, an upload): it succeeds, and holds nothing of A's.
        expect(res.statusCode, `${label(r)} with B's key: ${res.body}`).toBeLessThan(300);
      }
      const sent = `${path} ${example.query ?? ''} ${JSON.stringify(example.payload ?? '')}`;
      for (const secret of f.secrets) {
        if (sent.includes(secret)) continue;
        expect(res.body.includes(secret), `${label(r)} with B's key shows A's ${secret}: ${res.body}`).toBe(
          false,
        );
      }
    }
    expect((await snapshot(ctx())).a).toEqual(before);
  });

  describe('with session cookies', () => {
    const CSRF = { 'x-kpihub-csrf': '1', origin: 'http://localhost' };
    const sessions: Record<'aRead' | 'aWrite' | 'aAdmin' | 'bAdmin', string> = {
      aRead: '',
      aWrite: '',
      aAdmin: '',
      bAdmin: '',
    };
    /** Signs in through the route itself and returns the Cookie header to send back. */
    async function signIn(key: string): Promise<string> {
      const res = await ctx().app.inject({ method: 'POST', url: '/v1/session', payload: { api_key: key } });
      expect(res.statusCode, res.body).toBe(200);
      return String(res.headers['set-cookie']).split(';')[0];
    }
    beforeAll(async () => {
      sessions.aRead = await signIn(ctx().orgA.read);
      sessions.aWrite = await signIn(ctx().orgA.write);
      sessions.aAdmin = await signIn(ctx().orgA.admin);
      sessions.bAdmin = await signIn(ctx().orgB.admin);
    });
    const cookieHeaders = (cookie: string, r: RouteEntry): Record<string, string> =>
      isRead(r.method) ? { cookie } : { cookie, ...CSRF };

    it('lists the session routes: sign-in public, who-am-I and sign-out behind a scope', () => {
      const all = registeredRoutes(ctx().app).map(
        (r) => `${r.method} ${r.url} ${r.public ? 'public' : r.scope}`,
      );
      expect(all).toEqual(
        expect.arrayContaining([
          'POST /v1/session public',
          'GET /v1/session read',
          'DELETE /v1/session read',
        ]),
      );
    });

    it('signs in only with a valid key: 401 without one or with an unknown one, 403 from another site; stores nothing', async () => {
      const before = await snapshot(ctx());
      const attempts: [InjectOptions, number][] = [
        [{}, 401],
        [{ payload: { api_key: 'kph_0000000000000000000000000000000000000000' } }, 401],
        [{ headers: authHeaders('native', 'kph_0000000000000000000000000000000000000000') }, 401],
        [{ headers: { origin: 'https://evil.example' }, payload: { api_key: ctx().orgA.admin } }, 403],
      ];
      for (const [opts, status] of attempts) {
        const res = await ctx().app.inject({ method: 'POST', url: '/v1/session', ...opts });
        expectDialectError(res, 'native', status === 401 ? 'unauthorized' : 'forbidden', 'POST /v1/session');
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      expect(await snapshot(ctx())).toEqual(before);
    });

    it('answers 401 to an unknown session cookie on every route; no dialect takes even a live one; stores nothing', async () => {
      const before = await snapshot(ctx());
      const dead = 'kpihub_session=kphs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
      let dialectRoutes = 0;
      // GET /metrics without key headers is another route (Prometheus'): not walked here.
      for (const r of routes.filter((r) => r.constraints.credentials !== 'present')) {
        expectDialectError(
          await inject(r, cookieHeaders(dead, r)),
          r.dialect,
          'unauthorized',
          `${label(r)} with an unknown session`,
        );
        if (r.dialect !== 'native') {
          expectDialectError(
            await inject(r, cookieHeaders(sessions.aAdmin, r)),
            r.dialect,
            'unauthorized',
            `${label(r)} with A's admin session`,
          );
          dialectRoutes++;
        }
      }
      expect(dialectRoutes).toBeGreaterThan(20);
      expect(await snapshot(ctx())).toEqual(before);
    });

    it("answers 403 to a session with too weak a scope, and to A's admin session writing without the CSRF header; stores nothing", async () => {
      const before = await snapshot(ctx());
      const native = routes.filter((r) => r.dialect === 'native');
      const weakSession = { read: sessions.aRead, write: sessions.aWrite };
      let checked = 0;
      for (const r of native) {
        for (const weak of WEAKER[r.scope as string]) {
          const res = await inject(r, cookieHeaders(weakSession[weak], r));
          expectDialectError(res, 'native', 'forbidden', `${label(r)} with a ${weak} session`);
          checked++;
        }
        if (isRead(r.method)) continue;
        const forged: Record<string, string>[] = [
          {},
          { 'x-kpihub-csrf': '1', origin: 'https://evil.example' },
        ];
        for (const headers of forged) {
          const res = await inject(r, { cookie: sessions.aAdmin, ...headers });
          expectDialectError(
            res,
            'native',
            'forbidden',
            `${label(r)}: A's session, ${JSON.stringify(headers)}`,
          );
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
      expect(await snapshot(ctx())).toEqual(before);
    });

    it("answers 404 to B's session on A's ids on every native route, shows B none of A's data, changes nothing of A's", async () => {
      const before = (await snapshot(ctx())).a;
      let checked = 0;
      for (const r of routes.filter((r) => r.dialect === 'native')) {
        const { resource, path, example } = requestFor(r);
        const res = await inject(r, cookieHeaders(sessions.bAdmin, r));
        if (resource) {
          expectDialectError(res, 'native', 'not_found', `${label(r)} with B's session on A's ids`);
          checked++;
        } else if (f.secrets.some((secret) => example.query?.includes(secret)) && res.statusCode === 404) {
          expectDialectError(res, 'native', 'not_found', `${label(r)} with B's session, filtered by A's ids`);
        } else {
          expect(res.statusCode, `${label(r)} with B's session: ${res.body}`).toBeLessThan(300);
        }
        const sent = `${path} ${example.query ?? ''} ${JSON.stringify(example.payload ?? '')}`;
        for (const secret of f.secrets) {
          if (sent.includes(secret)) continue;
          expect(
            res.body.includes(secret),
            `${label(r)} with B's session shows A's ${secret}: ${res.body}`,
          ).toBe(false);
        }
        // Signing out ends B's session: sign in again for the routes that follow.
        if (r.method === 'DELETE' && r.url === '/v1/session')
          sessions.bAdmin = await signIn(ctx().orgB.admin);
      }
      expect(checked).toBeGreaterThan(10);
      expect((await snapshot(ctx())).a).toEqual(before);
    });

    it("lets A's own session (with the CSRF header) do what A's key does on every native route naming A's resources", async () => {
      let checked = 0;
      for (const r of routes.filter((r) => r.dialect === 'native' && requestFor(r).resource)) {
        const own = await createFixture(ctx());
        const res = await inject(r, cookieHeaders(sessions.aAdmin, r), own);
        expect([200, 201, 202, 204], `${label(r)} with A's session: ${res.body}`).toContain(res.statusCode);
        checked++;
      }
      expect(checked).toBeGreaterThan(10);
    });
  });

  it("A's own key succeeds on every write route that names A's resources: B's 404 is about the organization", async () => {
    let checked = 0;
    for (const r of routes.filter((r) => !isRead(r.method) && requestFor(r).resource)) {
      // A fresh fixture each: a route may delete what the next one names.
      const own = await createFixture(ctx());
      const res = await inject(r, authHeaders(r.dialect, ctx().orgA.admin), own);
      expect(res.statusCode, `${label(r)} with A's key: ${res.body}`).toBeLessThan(300);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });
});
