import type { FastifyPluginAsync } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { registeredRoutes } from '../../src/http/route-policy.ts';
import { DASHBOARD_PAGES } from '../../src/http/web.ts';
import { createTestStore, engines } from '../helpers/engines.ts';

// Deny by default: a route must declare a scope or `public: true`, exactly one, or the app
// does not start.

describe.each(engines())('route policy [%s]', (engine) => {
  async function build(plugins: FastifyPluginAsync[]) {
    const { store, database } = await createTestStore(engine);
    const config = loadConfig({
      KPIHUB_DATABASE_URL: database.env,
      KPIHUB_LOG_LEVEL: 'silent',
      KPIHUB_WORKERS: '0',
    });
    const cleanup = async () => {
      await store.close();
      await database.drop();
    };
    try {
      const app = await buildApp({ config, store, logger: pino({ level: 'silent' }), plugins });
      const close = async () => {
        await app.close();
        await cleanup();
      };
      return { app, cleanup: close };
    } catch (error) {
      await cleanup();
      throw error;
    }
  }

  it('refuses to start with a route that declares neither a scope nor public, naming it', async () => {
    await expect(
      build([async (app) => void app.get('/v1/forgotten/:id', async () => ({ secret: true }))]),
    ).rejects.toThrow(/GET \/v1\/forgotten\/:id declares neither a scope nor public: true/);
  });

  it('refuses a route that declares both, or a scope that does not exist', async () => {
    await expect(
      build([
        async (app) =>
          void app.post('/v1/both', { config: { scope: 'write', public: true } }, async () => ({})),
      ]),
    ).rejects.toThrow(/POST \/v1\/both declares both a scope and public/);
    await expect(
      build([
        async (app) => void app.get('/v1/odd', { config: { scope: 'superuser' as never } }, async () => ({})),
      ]),
    ).rejects.toThrow(/GET \/v1\/odd declares an unknown scope "superuser"/);
  });

  it('starts with a public route and answers it without a key; a scoped one needs a key', async () => {
    const { app, cleanup } = await build([
      async (app) => {
        app.get('/open', { config: { public: true } }, async () => ({ open: true }));
        app.get('/closed', { config: { scope: 'read' } }, async () => ({ closed: true }));
      },
    ]);
    try {
      const open = await app.inject({ url: '/open' });
      expect(open.statusCode).toBe(200);
      expect(open.json()).toEqual({ open: true });
      const closed = await app.inject({ url: '/closed' });
      expect(closed.statusCode).toBe(401);
      expect(closed.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(closed.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    } finally {
      await cleanup();
    }
  });

  it('passes every route of the real app; only the operations and docs routes and the sign-in are public', async () => {
    const { app, cleanup } = await build([]);
    try {
      const routes = registeredRoutes(app);
      expect(routes.length).toBeGreaterThan(50);
      for (const route of routes) expect(route.public !== (route.scope !== undefined), route.url).toBe(true);
      // The sign-in checks the key it is given itself (src/http/v1/session.ts).
      const signIn = routes.filter((r) => r.public && r.url.startsWith('/v1/'));
      expect(signIn.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /v1/session']);
      const open = [...new Set(routes.filter((r) => r.public && r !== signIn[0]).map((r) => r.url))];
      // The dashboard's pages and hashed assets (src/http/web.ts) are public: they hold no
      // data, only the code that asks /v1 for it with the session cookie. Exactly these.
      const dashboard = open.filter(
        (url) => !/^\/(health|ready|metrics|openapi\.json|docs|swagger)(\/|$)/.test(url),
      );
      expect(dashboard.sort()).toEqual([...DASHBOARD_PAGES, '/assets/*'].sort());
      for (const url of open.filter((u) => !dashboard.includes(u))) {
        expect(url, 'public').toMatch(/^\/(health|ready|metrics|openapi\.json|docs|swagger)(\/|$)/);
      }
      expect(open).toEqual(expect.arrayContaining(['/health', '/ready', '/metrics', '/openapi.json']));
      // Unknown paths still reach the not-found handler (no key asked for it).
      const missing = await app.inject({ url: '/no/such/route' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ status: 404, title: 'Not found' });
      for (const url of ['/health', '/ready', '/metrics', '/openapi.json', '/docs/', '/swagger/']) {
        expect((await app.inject({ url })).statusCode, url).toBe(200);
      }
    } finally {
      await cleanup();
    }
  });
});
