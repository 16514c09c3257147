import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiCall,
  type BrowserServer,
  launchBrowser,
  signedIn,
  startBrowserServer,
} from '../helpers/browser.ts';
import { engines } from '../helpers/engines.ts';

// Every page, light and dark, checked by axe-core against WCAG 2 A and AA (names on
// controls, labels, contrast, landmarks…), and laid out without sideways scrolling at a
// 375 px phone width.

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Violation {
  id: string;
  nodes: string[];
}

async function violations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }).then((r) => ({
       passed: r.passes.length,
       violations: r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) })),
     }))`,
  )) as { passed: number; violations: Violation[] };
  // axe really looked: a page checks a dozen rules or more (names, labels, contrast, lang…).
  expect(result.passed).toBeGreaterThan(10);
  return result.violations;
}

describe.each(engines())('the dashboard is accessible and fits a phone (%s)', (engine) => {
  let server: BrowserServer;
  let browser: Browser;
  let pages: { path: string; ready: (page: Page) => Promise<unknown> }[];

  beforeAll(async () => {
    server = await startBrowserServer(engine);
    browser = await launchBrowser();
    const key = server.orgA.admin;
    const ds = await apiCall(server, key, 'POST', '/v1/datasets', {
      name: 'Ops',
      metrics: [
        { name: 'Tickets', value_type: 'integer', frequency: 'daily', dimensions: [{ name: 'Team' }] },
      ],
    });
    const metric = (ds.json as { metrics: { id: string; dimensions: { id: string }[] }[] }).metrics[0];
    const team = metric.dimensions[0].id;
    const points = ['2024-05-01', '2024-05-02', '2024-05-03'].flatMap((date, i) =>
      ['a', 'b'].map((t) => ({ date, value: String(5 + i), coordinates: { [team]: t }, notes: 'n' })),
    );
    await apiCall(server, key, 'PUT', `/v1/metrics/${metric.id}/data_points`, { data_points: points });
    await apiCall(server, key, 'POST', '/analytics/v1/batch', [
      { type: 'account', accountId: 'acc-1', traits: { name: 'Initech' }, timestamp: '2024-05-01T10:00:00Z' },
      { type: 'track', userId: 'u-1', event: 'Signed in', properties: {}, timestamp: '2024-05-01T10:00:00Z' },
    ]);
    const ready = (selector: string) => (page: Page) => page.locator(selector).first().waitFor();
    pages = [
      { path: '/', ready: ready('li.card .sparkline canvas') },
      { path: `/metric/${metric.id}`, ready: ready('tr[data-period]') },
      { path: '/imports', ready: ready('text=No jobs yet.') },
      { path: '/analytics', ready: ready('.entity-list button') },
      { path: '/admin', ready: ready('input[name="webhook_url"]') },
    ];
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no WCAG 2 A/AA violation on any page (${colorScheme})`, async () => {
      const context = await browser.newContext({ baseURL: server.url, colorScheme, bypassCSP: true });
      const page = await context.newPage();
      await page.goto('/sign-in');
      await page.getByLabel('API key').waitFor();
      const found: Record<string, Violation[]> = { '/sign-in': await violations(page) };
      await page.getByLabel('API key').fill(server.orgA.admin);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      for (const { path, ready } of pages) {
        await page.goto(path);
        await ready(page);
        found[path] = await violations(page);
      }
      await context.close();
      const empty = await signedIn(browser, server, server.orgB.admin, { colorScheme });
      await empty.page.getByRole('heading', { name: 'Welcome to KPI Hub' }).waitFor();
      await empty.context.close();
      expect(found).toEqual(Object.fromEntries(Object.keys(found).map((p) => [p, []])));
    });
  }

  it('fits a 375 px wide screen: no page scrolls sideways', async () => {
    const { context, page } = await signedIn(browser, server, server.orgA.admin, {
      viewport: { width: 375, height: 800 },
    });
    const widths: Record<string, number> = {};
    for (const { path, ready } of pages) {
      await page.goto(path);
      await ready(page);
      widths[path] = (await page.evaluate('document.documentElement.scrollWidth')) as number;
    }
    await context.close();
    expect(widths).toEqual(Object.fromEntries(pages.map((p) => [p.path, 375])));
  });
});
