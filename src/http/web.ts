import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { publicContext } from './route-policy.ts';

// The dashboard (web/, built by Vite into config.webDir): its hashed assets under /assets/,
// and index.html for each page the single-page app draws. Public: the pages hold no data
// (they ask /v1 for it with the session cookie); every route the dashboard reads is scoped.
// Only these exact paths are taken, so the dialects keep theirs (/metrics, /data_points,
// /api/…, /analytics/v1/batch, /prototype/…) and unknown paths still get the API's 404.

/** The pages of the dashboard (web/src/app.tsx routes the same paths). */
export const DASHBOARD_PAGES = ['/', '/sign-in', '/metric/:id', '/imports', '/analytics', '/admin'] as const;

// Scripts and styles only from this server; no framing (clickjacking). Inline styles: the
// view and chart libraries set element styles.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  // index.html names the current hashed assets: always ask again.
  'cache-control': 'no-cache',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>KPI Hub: dashboard not built</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>The dashboard is not built</h1>
<p>Run <code>npm run build:web</code> (or start the server with <code>npm start</code>, which builds it
when it is missing or out of date), then reload this page.</p>
<p>The API is available meanwhile: <a href="/docs">/docs</a>.</p>
</body></html>
`;

async function sendPage(reply: FastifyReply, dir: string): Promise<FastifyReply> {
  let html: string;
  try {
    html = await readFile(join(dir, 'index.html'), 'utf8');
  } catch {
    return reply.code(503).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(NOT_BUILT);
  }
  return reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
}

export function webRoutes(opts: { dir: string }) {
  return publicContext(async (scope: FastifyInstance) => {
    for (const url of DASHBOARD_PAGES) {
      scope.get(url, { schema: { hide: true } }, (_request, reply) => sendPage(reply, opts.dir));
    }
    // Vite names every asset by its content hash: a name never changes meaning, so browsers
    // may keep it for a year without asking.
    await scope.register(fastifyStatic, {
      root: join(opts.dir, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      immutable: true,
      maxAge: '365d',
      index: false,
      schemaHide: true,
    });
  });
}
