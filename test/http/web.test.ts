import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DASHBOARD_PAGES } from '../../src/http/web.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

// The dashboard's pages and assets as the server answers them (src/http/web.ts); the
// browser tests (test/web) drive the pages themselves. The global setup builds web/dist.

const pages = DASHBOARD_PAGES.map((p) => p.replace(':id', '3f1c2a52-2b4e-4c1e-9d44-0d1d7e7d3b11'));

describe.each(engines())('the dashboard routes [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it('answers index.html for each page, without a key, never cached, framed by no one', async () => {
    for (const url of pages) {
      const res = await ctx().app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toMatch(/<script type="module"[^>]* src="\/assets\/index-[\w-]+\.js"/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
  });

  it('serves the hashed assets for a year (immutable), and 404 for an unknown one', async () => {
    const assets = readdirSync(join(ctx().config.webDir, 'assets'));
    const js = assets.find((a) => a.endsWith('.js'));
    expect(js).toBeDefined();
    const res = await ctx().app.inject({ url: `/assets/${js}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await ctx().app.inject({ url: '/assets/index-nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: 404, title: 'Not found' });
  });

  it('takes no path of the API or the dialects: they answer as before', async () => {
    // The API wants its key; the page shell holds no data.
    const v1 = await ctx().app.inject({ url: '/v1/datasets' });
    expect(v1.statusCode).toBe(401);
    // Visible's GET /metrics (with a key) is still Visible's, next to the dashboard's /metric/:id.
    const visible = await ctx().call(ctx().orgA.read, { url: '/metrics' });
    expect(visible.statusCode).toBe(200);
    expect(visible.json()).toMatchObject({ metrics: [] });
    // Unknown paths near the pages still get the API's 404.
    for (const url of ['/metric', '/metric/a/b', '/imports/x', '/admin/keys']) {
      const res = await ctx().app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toMatchObject({ status: 404 });
    }
  });
});

describe.each(engines())('the dashboard not built [%s]', (engine) => {
  const empty = mkdtempSync(join(tmpdir(), 'kpihub-no-web-'));
  const ctx = useTestContext(engine, { KPIHUB_WEB_DIR: empty });
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('answers each page with a 503 page that says how to build it', async () => {
    for (const url of pages) {
      const res = await ctx().app.inject({ url });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('npm run build:web');
    }
    // The API is unaffected.
    expect((await ctx().app.inject({ url: '/health' })).statusCode).toBe(200);
  });
});
