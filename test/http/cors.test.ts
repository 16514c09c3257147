import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';

const DASHBOARD = 'https://dash.example.com';
const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/v1/datasets',
  headers: {
    origin,
    'access-control-request-method': 'PATCH',
    'access-control-request-headers': 'authorization, if-match, content-type',
  },
});

describe.each(engines())('CORS off by default [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it('answers no preflight and sends no CORS header', async () => {
    const pre = await ctx().app.inject(preflight(DASHBOARD));
    expect(pre.statusCode).toBe(404);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const get = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: '/v1/datasets',
      headers: { origin: DASHBOARD },
    });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe.each(engines())('CORS with an allow-list [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_CORS_ORIGINS: `${DASHBOARD}, http://localhost:5173` });

  it('answers a listed origin’s preflight, without a key', async () => {
    const res = await ctx().app.inject(preflight(DASHBOARD));
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(DASHBOARD);
    expect(String(res.headers['access-control-allow-methods'])).toContain('PATCH');
    expect(String(res.headers['access-control-allow-headers'])).toContain('if-match');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('lets a listed origin read the answer and its ETag; an unlisted one gets no CORS header', async () => {
    const mine = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: '/v1/datasets',
      headers: { origin: DASHBOARD },
    });
    expect(mine.statusCode).toBe(200);
    expect(mine.headers['access-control-allow-origin']).toBe(DASHBOARD);
    expect(String(mine.headers['access-control-expose-headers'])).toContain('etag');

    const other = await ctx().call(ctx().orgA.read, {
      method: 'GET',
      url: '/v1/datasets',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const otherPre = await ctx().app.inject(preflight('https://evil.example'));
    expect(otherPre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('still asks every real request for a key: an allowed origin without one gets 401', async () => {
    const res = await ctx().app.inject({
      method: 'GET',
      url: '/v1/datasets',
      headers: { origin: DASHBOARD },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('KPIHUB_CORS_ORIGINS', () => {
  const base = { KPIHUB_DATABASE_URL: 'sqlite::memory:' };

  it('is empty by default and keeps origins as origins', () => {
    expect(loadConfig(base).corsOrigins).toEqual([]);
    expect(
      loadConfig({ ...base, KPIHUB_CORS_ORIGINS: 'https://a.example/, http://b.example:8080' }).corsOrigins,
    ).toEqual(['https://a.example', 'http://b.example:8080']);
  });

  it('refuses what is no origin, naming the setting', () => {
    for (const bad of ['*', 'a.example', 'ftp://a.example', 'https://a.example/path']) {
      expect(() => loadConfig({ ...base, KPIHUB_CORS_ORIGINS: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, KPIHUB_CORS_ORIGINS: bad }), bad).toThrow(/KPIHUB_CORS_ORIGINS/);
    }
  });
});
