// The dashboard's numbers (docs/benchmarks.md, "Dashboard"):
//   npm run bench:web
// - the JavaScript shipped, gzipped, as Vite's build reports it;
// - a page of 100 KPI cards: from navigation to every card drawn with its sparkline, and to
//   the next frame after (the page answers input from then on);
// - a 10-year daily series (3,653 points): uPlot's draw, and navigation to drawn.
// In Chromium (playwright-core, /usr/bin/chromium) against the real server on SQLite.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  day,
  lastMonths,
  launchChromium,
  monthPoint,
  signIn,
  startDemoServer,
} from '../scripts/demo-server.ts';
import { buildWeb, WEB_DIST } from '../scripts/web-build.ts';

const RUNS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (n: number) => n.toFixed(1);

await buildWeb({ quiet: true });
const assets = readdirSync(join(WEB_DIST, 'assets'));
const gz = (ext: string) =>
  assets
    .filter((a) => a.endsWith(ext))
    .reduce((n, a) => n + gzipSync(readFileSync(join(WEB_DIST, 'assets', a))).length, 0);

const server = await startDemoServer();
const browser = await launchChromium();
try {
  const months = lastMonths(12);
  const hundred = (await server.call('POST', '/v1/datasets', {
    name: 'A hundred KPIs',
    metrics: Array.from({ length: 100 }, (_, i) => ({
      name: `KPI ${i + 1}`,
      value_type: 'number',
      frequency: 'monthly',
    })),
  })) as { metrics: { id: string }[] };
  for (const [i, m] of hundred.metrics.entries()) {
    await server.call('PUT', `/v1/metrics/${m.id}/data_points`, {
      data_points: months.map((s, k) => monthPoint(s, String(1000 + i * 10 + k * 7 + ((i * k) % 13)))),
    });
  }
  const long = (await server.call('POST', '/v1/datasets', {
    name: 'Ten years',
    metrics: [{ name: 'Daily sensor', value_type: 'number', frequency: 'daily' }],
  })) as { metrics: { id: string }[] };
  const start = Date.UTC(2016, 0, 1);
  const daily = Array.from({ length: 3653 }, (_, i) => ({
    date: day(new Date(start + i * 86400_000)),
    value: (500 + 200 * Math.sin(i / 58) + (i % 17)).toFixed(2),
  }));
  await server.call('PUT', `/v1/metrics/${long.metrics[0].id}/data_points`, { data_points: daily });

  // bypassCSP: the page forbids eval, which Playwright's string predicates use.
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: { width: 1280, height: 800 },
    bypassCSP: true,
  });
  // When the 100th sparkline canvas appears, in the page's own clock (0 = navigation start).
  // (Page-side code is given as text: this file has no DOM types.)
  await context.addInitScript(`
    new MutationObserver((_, observer) => {
      if (document.querySelectorAll('li.card .sparkline canvas').length >= 100) {
        window.__cardsAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  `);
  const page = await context.newPage();
  await signIn(page, server.key);

  const cards: number[] = [];
  const responsive: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    await page.goto('/');
    await page.waitForFunction('window.__cardsAt !== undefined', undefined, { timeout: 30_000 });
    const [at, frame] = (await page.evaluate(
      '(async () => [window.__cardsAt, await new Promise((r) => requestAnimationFrame(() => setTimeout(() => r(performance.now()))))])()',
    )) as [number, number];
    cards.push(at);
    responsive.push(frame);
  }

  const draws: number[] = [];
  const drawnAt: number[] = [];
  let periods = '';
  for (let r = 0; r < RUNS; r++) {
    await page.goto(`/metric/${long.metrics[0].id}`);
    const info = page.getByTestId('chart-info');
    await page.waitForFunction(
      `document.querySelector('[data-testid="chart-info"]')?.getAttribute('data-draw-ms')`,
      undefined,
      { timeout: 30_000 },
    );
    draws.push(Number(await info.getAttribute('data-draw-ms')));
    drawnAt.push(Number(await info.getAttribute('data-drawn-at')));
    periods = (await info.textContent()) ?? '';
  }

  console.log(
    `JavaScript shipped: ${(gz('.js') / 1024).toFixed(1)} KB gzipped (CSS ${(gz('.css') / 1024).toFixed(1)} KB)`,
  );
  console.log(
    `100 KPI cards drawn with sparklines: median ${f(median(cards))} ms after navigation (runs: ${cards.map(f).join(', ')})`,
  );
  console.log(`  next frame after (input answered): median ${f(median(responsive))} ms`);
  console.log(
    `10-year daily chart (${periods}): uPlot draw median ${f(median(draws))} ms (runs: ${draws.map(f).join(', ')})`,
  );
  console.log(`  navigation to chart drawn (page, API series call, draw): median ${f(median(drawnAt))} ms`);
} finally {
  await browser.close();
  await server.stop();
}
