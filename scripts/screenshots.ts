// `npm run screenshots`: a PNG of each dashboard page, light and dark, in docs/screenshots/,
// taken in Chromium from a throw-away server filled with demo data (scripts/demo-server.ts).

import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import {
  type DemoServer,
  day,
  lastMonths,
  launchChromium,
  monthPoint,
  signIn,
  startDemoServer,
} from './demo-server.ts';

const OUT = 'docs/screenshots';

interface Metric {
  id: string;
  name: string;
  dimensions: { id: string; name: string }[];
}

/** A small organization's numbers: two datasets, every value type, a dimension, jobs, analytics. */
async function seed(server: DemoServer): Promise<{ mrr: string; sessions: string }> {
  const months = lastMonths(18);
  const finance = (await server.call('POST', '/v1/datasets', {
    name: 'Finance',
    description: 'Board pack',
    metrics: [
      { name: 'Monthly recurring revenue', unit: 'USD', value_type: 'currency', frequency: 'monthly' },
      { name: 'Gross margin', value_type: 'percentage', frequency: 'monthly' },
      { name: 'Paying customers', value_type: 'integer', frequency: 'monthly' },
      { name: 'Cash runway', unit: 'months', value_type: 'number', frequency: 'monthly' },
      { name: 'Next board meeting', value_type: 'date', frequency: 'monthly' },
      { name: 'Audit passed', value_type: 'boolean', frequency: 'monthly' },
    ],
  })) as { metrics: Metric[] };
  const [mrr, margin, customers, runway, board, audit] = finance.metrics;
  const put = (m: Metric, points: unknown[]) =>
    server.call('PUT', `/v1/metrics/${m.id}/data_points`, { data_points: points });
  await put(
    mrr,
    months.map((m, i) =>
      monthPoint(m, String(42000 + i * 2350 + (i % 3) * 900), i === 17 ? { notes: 'price change' } : {}),
    ),
  );
  await put(
    margin,
    months.map((m, i) => monthPoint(m, (0.61 + Math.sin(i / 2) * 0.03).toFixed(4))),
  );
  await put(
    customers,
    months.map((m, i) => monthPoint(m, String(310 + i * 14 - (i % 4) * 5))),
  );
  await put(
    runway,
    months.map((m, i) => monthPoint(m, (22 - i * 0.4).toFixed(1))),
  );
  await put(board, [monthPoint(months[17], day(new Date(Date.now() + 20 * 86400_000)))]);
  await put(audit, [monthPoint(months[16], 'true'), monthPoint(months[17], 'true')]);
  // A restatement, so the history has something to show.
  await put(mrr, [monthPoint(months[16], '81500', { notes: 'restated after audit' })]);

  const ops = (await server.call('POST', '/v1/datasets', {
    name: 'Operations',
    metrics: [
      { name: 'Sessions', value_type: 'integer', frequency: 'daily', dimensions: [{ name: 'Region' }] },
      { name: 'Electricity', unit: 'kWh', value_type: 'number', frequency: 'monthly' },
    ],
  })) as { metrics: Metric[] };
  const [sessions, power] = ops.metrics;
  const region = sessions.dimensions[0].id;
  const regions = ['Europe', 'North America', 'Asia', 'South America', 'Africa', 'Oceania'];
  const days = Array.from({ length: 120 }, (_, i) => day(new Date(Date.now() - (119 - i) * 86400_000)));
  await put(
    sessions,
    days.flatMap((d, i) =>
      regions.map((r, j) => ({
        date: d,
        value: String(
          Math.round((900 / (j + 1)) * (1 + 0.3 * Math.sin((i + j * 5) / 7)) + i * (3 - j * 0.4)),
        ),
        coordinates: { [region]: r },
      })),
    ),
  );
  await put(
    power,
    months.map((m, i) => monthPoint(m, String(12800 - i * 210 + (i % 2) * 400))),
  );

  // Jobs: a clean native import, a dry run with errors, a Workiva batch.
  const end = (m: string) => monthPoint(m, '').period_end;
  const csv =
    'metric_id,period_start,period_end,value\n' +
    `${runway.id},${months[17]},${end(months[17])},15.4\n${runway.id},${months[16]},${end(months[16])},15.9\n`;
  await server.call('POST', '/v1/imports', csv);
  const bad = `metric_id,date,value\n${runway.id},${months[17]},15.4\n${runway.id},2024-13-01,1\n${runway.id},${months[15]},lots\n`;
  await server.call('POST', '/v1/imports?dry_run=true', bad);
  await server.call(
    'POST',
    `/prototype/platform/programs/${(finance as unknown as { id: string }).id}/metrics/${customers.id}/values/batchUpsertion`,
    { data: [{ reportingPeriod: { year: 2026, start: 11, end: 11 }, value: '552' }] },
    { 'x-version': '2022-01-01' },
  );

  // Analytics through the Vitally dialect.
  const t = (daysAgo: number) => new Date(Date.now() - daysAgo * 86400_000).toISOString();
  const messages: unknown[] = [
    {
      type: 'organization',
      organizationId: 'org-1',
      traits: { name: 'Globex', plan: 'growth' },
      timestamp: t(30),
    },
    {
      type: 'account',
      accountId: 'acc-1',
      organizationId: 'org-1',
      traits: { name: 'Globex EU', seats: 40 },
      timestamp: t(30),
    },
    { type: 'account', accountId: 'acc-1', traits: { seats: 55 }, timestamp: t(5) },
    { type: 'account', accountId: 'acc-2', traits: { name: 'Initech', seats: 12 }, timestamp: t(20) },
    {
      type: 'user',
      userId: 'u-1',
      accountId: 'acc-1',
      traits: { name: 'Ada Lovelace', role: 'admin' },
      timestamp: t(30),
    },
  ];
  const events = ['Signed in', 'Report viewed', 'Export downloaded', 'Dashboard shared'];
  for (let d = 28; d >= 0; d--) {
    events.forEach((event, k) => {
      for (let n = 0; n < ((d * 7 + k * 3) % 5) + (k === 0 ? 4 : 1); n++) {
        messages.push({
          type: 'track',
          userId: 'u-1',
          event,
          properties: {},
          timestamp: t(d),
          messageId: `m-${d}-${k}-${n}`,
        });
      }
    });
  }
  for (let i = 0; i < messages.length; i += 100) {
    await server.call('POST', '/analytics/v1/batch', messages.slice(i, i + 100));
  }
  // A public address literal: a name would need DNS, which a machine without a network lacks.
  await server.call('PUT', '/v1/webhook', { url: 'https://93.184.215.14/hooks/kpihub' }).catch((e) => {
    console.warn(`no webhook in the screenshots: ${e}`);
  });
  await server.call('POST', '/v1/api-keys', { name: 'Board pack export', scopes: ['read'] });
  return { mrr: mrr.id, sessions: sessions.id };
}

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.locator('.loading').waitFor({ state: 'detached' });
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const server = await startDemoServer();
  const browser = await launchChromium();
  try {
    const ids = await seed(server);
    // Let the jobs finish, so the imports page shows their outcome.
    for (let i = 0; i < 100; i++) {
      const jobs = (await server.call('GET', '/v1/imports')) as { items: { status: string }[] };
      if (!jobs.items.some((j) => j.status === 'queued' || j.status === 'running')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const scheme of ['light', 'dark'] as const) {
      const shot = async (page: Page, name: string, fullPage = true) => {
        await settle(page);
        await page.screenshot({ path: `${OUT}/${name}-${scheme}.png`, fullPage });
        console.log(`${OUT}/${name}-${scheme}.png`);
      };
      const context = await browser.newContext({
        baseURL: server.url,
        colorScheme: scheme,
        viewport: { width: 1280, height: 800 },
      });
      const page = await context.newPage();
      await page.goto('/sign-in');
      await shot(page, 'sign-in', false);
      await signIn(page, server.key);
      await page.locator('li.card').first().waitFor();
      await shot(page, 'overview');
      await page.goto(`/metric/${ids.mrr}`);
      await page.locator('tr[data-period]').first().waitFor();
      await page
        .getByRole('button', { name: /^History of/ })
        .nth(1)
        .click();
      await page.getByTestId('revision-change').first().waitFor();
      await shot(page, 'metric');
      await page.goto(`/metric/${ids.sessions}`);
      await page.getByLabel('Breakdown').selectOption({ label: 'by Region' });
      await page.getByRole('list', { name: 'Lines' }).waitFor();
      await shot(page, 'metric-breakdown');
      await page.goto('/imports');
      await page.locator('table.jobs').waitFor();
      await page
        .getByRole('button', { name: /errors?$/ })
        .first()
        .click();
      await shot(page, 'imports');
      await page.goto('/analytics');
      await page.locator('.chart canvas').waitFor();
      await page.getByLabel('Show').selectOption('account');
      await page.locator('.entity-list button').first().click();
      await page.getByRole('heading', { name: 'Trait history' }).waitFor();
      await shot(page, 'analytics');
      await page.goto('/admin');
      await page.getByRole('heading', { name: 'Webhook' }).waitFor();
      // A key made here shows its secret, once.
      await page.getByLabel('Key name').fill(`Nightly ETL (${scheme})`);
      await page.getByRole('checkbox', { name: 'write' }).check();
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.getByTestId('new-secret').waitFor();
      await shot(page, 'admin');
      await context.close();

      const phone = await browser.newContext({
        baseURL: server.url,
        colorScheme: scheme,
        viewport: { width: 375, height: 800 },
        deviceScaleFactor: 2,
      });
      const small = await phone.newPage();
      await signIn(small, server.key);
      await small.locator('li.card').first().waitFor();
      await shot(small, 'overview-375px', false);
      await phone.close();

      const fresh = await browser.newContext({
        baseURL: server.url,
        colorScheme: scheme,
        viewport: { width: 1280, height: 800 },
      });
      const first = await fresh.newPage();
      await signIn(first, server.emptyKey);
      await first.getByRole('heading', { name: 'Welcome to KPI Hub' }).waitFor();
      await shot(first, 'first-run');
      await fresh.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
