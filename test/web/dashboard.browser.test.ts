import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiCall,
  type BrowserServer,
  launchBrowser,
  signedIn,
  startBrowserServer,
} from '../helpers/browser.ts';
import { engines } from '../helpers/engines.ts';

// The dashboard as a user drives it, in Chromium, against a real server (its own database,
// worker and rollups), on each engine. The tests of a block run in order and build on each
// other, like one session of a user: sign in, look, change, import, sign out.

interface Seeded {
  datasetId: string;
  revenue: string;
  visible: string;
  sessions: string;
}

async function seed(server: BrowserServer): Promise<Seeded> {
  const key = server.orgA.admin;
  const ds = await apiCall(server, key, 'POST', '/v1/datasets', {
    name: 'Finance',
    metrics: [
      { name: 'Revenue', unit: 'USD', value_type: 'currency', frequency: 'monthly' },
      { name: 'Pushed from Visible', value_type: 'number', frequency: 'monthly' },
      { name: 'Sessions', value_type: 'integer', frequency: 'daily', dimensions: [{ name: 'Region' }] },
    ],
  });
  expect(ds.status).toBe(201);
  const body = ds.json as {
    id: string;
    metrics: { id: string; name: string; dimensions: { id: string }[] }[];
  };
  const [revenue, visible, sessions] = body.metrics;
  const months = ['2023-11-01', '2023-12-01', '2024-01-01', '2024-02-01', '2024-03-01'];
  const put = await apiCall(server, key, 'PUT', `/v1/metrics/${revenue.id}/data_points`, {
    data_points: months.map((m, i) => ({
      period_start: m,
      period_end: monthEnd(m),
      value: String(1000 + i * 100),
    })),
  });
  expect(put.status).toBe(200);
  const region = sessions.dimensions[0].id;
  const daily = ['2024-03-01', '2024-03-02', '2024-03-03'].flatMap((d, i) =>
    ['north', 'south', 'east'].map((r, j) => ({
      date: d,
      value: String(10 * (j + 1) + i),
      coordinates: { [region]: r },
    })),
  );
  expect(
    (await apiCall(server, key, 'PUT', `/v1/metrics/${sessions.id}/data_points`, { data_points: daily }))
      .status,
  ).toBe(200);
  return { datasetId: body.id, revenue: revenue.id, visible: visible.id, sessions: sessions.id };
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function monthEnd(start: string): string {
  const d = new Date(`${start}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
}

const card = (page: Page, name: string) =>
  page.locator('li.card').filter({ has: page.getByRole('heading', { name }) });

describe.each(engines())('the dashboard (%s)', (engine) => {
  let server: BrowserServer;
  let browser: Browser;
  let seeded: Seeded;
  let session: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    server = await startBrowserServer(engine);
    browser = await launchBrowser();
    seeded = await seed(server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('refuses a wrong key on the sign-in page and keeps no cookie', async () => {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    await page.goto('/metric/whatever');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByLabel('API key').fill('kph_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/No valid API key/);
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it('signs in with a key (an HttpOnly, SameSite=Strict cookie) and shows each dataset as KPI cards', async () => {
    session = await signedIn(browser, server, server.orgA.admin);
    const { page, context } = session;
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
      ['kpihub_session', true, 'Strict'],
    ]);
    // The key is in no web storage and in no URL.
    // (Evaluated in the page, as text: this file has no DOM types.)
    const stored = await page.evaluate('JSON.stringify([{ ...localStorage }, { ...sessionStorage }])');
    expect(stored).toBe('[{},{}]');
    expect(page.url()).not.toContain(server.orgA.admin);
    await expect.poll(() => page.getByRole('heading', { name: 'Finance' }).count()).toBe(1);
    const revenue = card(page, 'Revenue');
    await expect.poll(() => revenue.getByTestId('card-value').textContent()).toBe('$1,400.00');
    expect(await revenue.locator('.change').textContent()).toMatch(/▲.*up.*\$100\.00 \(\+7\.69%\)/);
    // uPlot makes its canvas in an effect, after the frame that shows the card's text.
    await expect.poll(() => revenue.locator('.sparkline canvas').count()).toBe(1);
    expect(await revenue.locator('.meta').textContent()).toMatch(/^Updated .+ by /);
    // Search narrows the cards.
    await page.getByRole('searchbox', { name: 'Search KPIs' }).fill('sess');
    await expect.poll(() => page.locator('li.card').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Search KPIs' }).fill('');
  });

  it("shows a value pushed with the Visible seed's curl on its card", async () => {
    const { page } = session;
    // The seed's own curl command, the host replaced (seeds/000, "PUT /metrics/{metric_id}/data_points").
    // (Asynchronously: the server answers from this very process.)
    const { stdout: answer } = await promisify(execFile)(
      'curl',
      [
        '--silent',
        '--request',
        'PUT',
        `${server.url}/metrics/${seeded.visible}/data_points`,
        '--header',
        `Authorization: Bearer ${server.orgA.admin}`,
        '--header',
        'Content-Type: application/json',
        '--data',
        '{"data_points":[{"date":"2019-01-01","value":"10.99"},{"date":"2019-02-01","value":"20.99"}]}',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(JSON.parse(answer).data_points.map((p: { value: string }) => p.value)).toEqual(['10.99', '20.99']);
    await page.reload();
    const visible = card(page, 'Pushed from Visible');
    await expect.poll(() => visible.getByTestId('card-value').textContent()).toBe('20.99');
    expect(await visible.locator('.change').textContent()).toMatch(/up.*10 \(\+90\.99%\)/);
  });

  it('opens a metric and redraws its chart by granularity and aggregate', async () => {
    const { page } = session;
    await card(page, 'Revenue').getByRole('link').click();
    await page.getByRole('heading', { name: 'Revenue', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/metric/${seeded.revenue}`);
    const info = page.getByTestId('chart-info');
    await expect.poll(() => info.textContent()).toBe('5 periods, sum by month');
    // uPlot makes its canvas in an effect, after the frame that shows the chart's caption.
    await expect.poll(() => page.locator('.chart canvas').count()).toBe(1);
    await page.getByLabel('Granularity').selectOption('year');
    await expect.poll(() => info.textContent()).toBe('2 periods, sum by year');
    await page.getByLabel('Aggregate').selectOption('max');
    await expect.poll(() => info.textContent()).toBe('2 periods, max by year');
    // The table: newest first, paged, sortable by value.
    const values = () => page.getByTestId('point-value').allTextContents();
    await expect.poll(values).toEqual(['$1,400.00', '$1,300.00', '$1,200.00', '$1,100.00', '$1,000.00']);
    await page.getByRole('button', { name: 'Value' }).click();
    await expect.poll(values).toEqual(['$1,000.00', '$1,100.00', '$1,200.00', '$1,300.00', '$1,400.00']);
    expect(await page.getByRole('columnheader', { name: /Value/ }).getAttribute('aria-sort')).toBe(
      'ascending',
    );
    // The CSV download is the export route, with the session cookie.
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(href).toBe(`/v1/metrics/${seeded.revenue}/data_points/export?format=csv`);
    const csv = await page.request.get(href!);
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toContain('1400');
  });

  it('pages the table by period, newest first, across pages; the Period header turns it round', async () => {
    const { page } = session;
    const key = server.orgA.admin;
    const made = await apiCall(server, key, 'POST', '/v1/metrics', {
      name: 'Paged signups',
      value_type: 'integer',
    });
    expect(made.status).toBe(201);
    const id = (made.json as { id: string }).id;
    // 60 days, the later half stored first: the order they were stored in is not the period order.
    const days = Array.from({ length: 60 }, (_, i) => isoDay(Date.UTC(2024, 0, 1) + i * 86_400_000));
    for (const half of [days.slice(30), days.slice(0, 30)]) {
      const put = await apiCall(server, key, 'PUT', `/v1/metrics/${id}/data_points`, {
        data_points: half.map((date) => ({ date, value: String(days.indexOf(date) + 1) })),
      });
      expect(put.status).toBe(200);
    }
    await page.goto(`/metric/${id}`);
    const periods = () =>
      page.locator('tr[data-period]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-period')));
    const newest = [...days].reverse();
    await expect.poll(periods).toEqual(newest.slice(0, 25));
    const period = page.getByRole('columnheader', { name: /Period/ });
    expect(await period.getAttribute('aria-sort')).toBe('descending');
    const next = page.getByRole('button', { name: 'Next' });
    await next.click();
    await expect.poll(periods).toEqual(newest.slice(25, 50));
    await next.click();
    await expect.poll(periods).toEqual(newest.slice(50));
    expect(await next.isDisabled()).toBe(true);
    // Oldest first, from the first page again.
    await period.getByRole('button').click();
    await expect.poll(periods).toEqual(days.slice(0, 25));
    expect(await period.getAttribute('aria-sort')).toBe('ascending');
    expect(await page.getByText('Page 1').count()).toBe(1);
    await next.click();
    await expect.poll(periods).toEqual(days.slice(25, 50));
  });

  it('breaks a metric down by a dimension, one line a member, with legend toggles', async () => {
    const { page } = session;
    await page.goto(`/metric/${seeded.sessions}`);
    await page.getByLabel('Breakdown').selectOption({ label: 'by Region' });
    const legend = page.getByRole('list', { name: 'Lines' });
    // Biggest first (the API ranks the members by their total).
    await expect.poll(() => legend.getByRole('button').allTextContents()).toEqual(['east', 'south', 'north']);
    const north = legend.getByRole('button', { name: 'north' });
    expect(await north.getAttribute('aria-pressed')).toBe('true');
    await north.click();
    expect(await north.getAttribute('aria-pressed')).toBe('false');
  });

  it('updates a point and shows its revision; "as of" shows the value it had before', async () => {
    const { page } = session;
    await page.goto(`/metric/${seeded.revenue}`);
    const march = page.locator('tr[data-period="2024-03-01"]');
    await expect.poll(() => march.getByTestId('point-value').textContent()).toBe('$1,400.00');
    // An instant between the seed and the edit, on a whole second (the as-of input's step).
    const before = await page.evaluate(async () => {
      const next = Math.ceil((Date.now() + 1) / 1000) * 1000;
      await new Promise((r) => setTimeout(r, next - Date.now() + 5));
      const d = new Date(next);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    });
    await march.getByRole('button', { name: 'Edit 2024-03-01' }).click();
    await page.getByLabel('Value', { exact: true }).fill('1450.25');
    await page.getByLabel('Notes', { exact: true }).fill('restated');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => march.getByTestId('point-value').textContent()).toBe('$1,450.25');
    expect(await march.locator('td').nth(2).textContent()).toBe('restated');
    await march.getByRole('button', { name: 'History of 2024-03-01' }).click();
    const changes = page.getByTestId('revision-change');
    await expect.poll(() => changes.allTextContents()).toContain('update: $1,400.00 → $1,450.25');

    await page.getByLabel('As of').fill(before);
    await expect.poll(() => page.locator('.notice').count()).toBe(1);
    await expect.poll(() => march.getByTestId('point-value').textContent()).toBe('$1,400.00');
    await page.getByRole('button', { name: 'Now' }).click();
    await expect.poll(() => march.getByTestId('point-value').textContent()).toBe('$1,450.25');
  });

  it('uploads a CSV with a column mapping, dry-runs it, imports it and follows it to done', async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'Imports' }).click();
    await page.getByRole('heading', { name: 'Imports', level: 1 }).waitFor();
    const csv = `kpi,day,amount\n${seeded.revenue},2024-04-01,1500\n${seeded.revenue},2024-05-01,1600\n${seeded.revenue},2024-06-01,1700\n`;
    await page
      .getByLabel('CSV file', { exact: true })
      .setInputFiles({ name: 'revenue.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    // Columns named otherwise than the fields: map them.
    await page.getByLabel(/^Metric/).selectOption('kpi');
    await page.getByLabel(/^Date \(or period start\)/).selectOption('day');
    await page.getByLabel(/^Value/).selectOption('amount');
    await page.getByRole('button', { name: 'Dry run' }).click();
    const status = page.getByTestId('followed-status');
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toBe('completed');
    expect(await page.getByTestId('followed-job').textContent()).toMatch(
      /^Dry run completed: 3 read · 0 applied/,
    );
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('followed-job').textContent(), { timeout: 30_000 })
      .toMatch(/^Import completed: 3 read · 3 applied/);
    // The jobs list shows it too, and the data is there.
    await expect.poll(() => page.locator('table.jobs tbody tr').count()).toBeGreaterThanOrEqual(2);
    const listed = await apiCall(
      server,
      server.orgA.admin,
      'GET',
      `/v1/metrics/${seeded.revenue}/data_points?from=2024-04-01`,
    );
    expect((listed.json as { items: { value: string }[] }).items.map((p) => p.value).sort()).toEqual([
      '1500',
      '1600',
      '1700',
    ]);
  });

  it('shows a bad row by its line and column', async () => {
    const { page } = session;
    const csv = `metric_id,date,value\n${seeded.revenue},2024-07-01,1800\n${seeded.revenue},2024-08-01,lots\n`;
    await page
      .getByLabel('CSV file', { exact: true })
      .setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('followed-status').textContent(), { timeout: 30_000 })
      .toBe('failed');
    const row = page.getByTestId('followed-job').locator('table.job-errors tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.getByTestId('error-line').textContent()).toBe('3');
    expect(await row.getByTestId('error-column').textContent()).toBe('value');
    // Nothing of the file was stored.
    const july = await apiCall(
      server,
      server.orgA.admin,
      'GET',
      `/v1/metrics/${seeded.revenue}/data_points?from=2024-07-01`,
    );
    expect((july.json as { items: unknown[] }).items).toEqual([]);
  });

  it('creates a key with scopes (the secret shown once) and revokes it', async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('Key name').fill('ci-reader');
    await page.getByRole('checkbox', { name: 'write' }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-secret').textContent()) ?? '';
    expect(secret).toMatch(/^kph_/);
    const row = page.locator('tr[data-key-name="ci-reader"]');
    await expect.poll(() => row.locator('td').nth(2).textContent()).toBe('read, write');
    // The new key works, with its scopes: it reads and writes, but is no admin.
    expect((await apiCall(server, secret, 'GET', '/v1/datasets')).status).toBe(200);
    expect((await apiCall(server, secret, 'GET', '/v1/api-keys')).status).toBe(403);
    // Shown once: a reload shows the key listed, its secret nowhere.
    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId('new-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Revoke ci-reader' }).click();
    await expect.poll(() => row.locator('.status').textContent()).toMatch(/^revoked /);
    expect((await apiCall(server, secret, 'GET', '/v1/datasets')).status).toBe(401);
  });

  it("shows another organization's session none of it", async () => {
    const other = await signedIn(browser, server, server.orgB.admin);
    const { page } = other;
    await page.getByRole('heading', { name: 'Welcome to KPI Hub' }).waitFor();
    expect(await page.getByText('Org B').count()).toBeGreaterThan(0);
    expect(await page.getByText('Finance').count()).toBe(0);
    await page.goto(`/metric/${seeded.revenue}`);
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not found/i);
    expect(await page.getByText('Revenue').count()).toBe(0);
    await page.goto('/imports');
    await expect.poll(() => page.getByText('No jobs yet.').count()).toBe(1);
    await other.context.close();
  });

  it('signs out: the cookie is gone and the pages ask for a key again', async () => {
    const { page, context } = session;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
    expect((await context.cookies()).filter((c) => c.value !== '')).toEqual([]);
    expect((await page.request.get('/v1/session')).status()).toBe(401);
    await page.goto('/');
    await page.getByLabel('API key').waitFor();
    await context.close();
  });
});
