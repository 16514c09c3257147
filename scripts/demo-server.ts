import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../src/config.ts';
import { createApiKey } from '../src/core/api-keys.ts';
import { startServer } from '../src/server.ts';
import { insertOrganization } from '../src/store/organizations.ts';
import { createStorage } from '../src/store/storage.ts';
import { ensureWebBuild } from './web-build.ts';

// A throw-away KPI Hub for the dashboard's screenshots and timings (scripts/screenshots.ts,
// bench/dashboard.ts): the real server (startServer) on a SQLite file in a temporary folder,
// with a known admin key, an empty second organization, and Debian's Chromium to drive it.

export interface DemoServer {
  url: string;
  key: string;
  /** An admin key of an organization with no data (its overview is the first-run page). */
  emptyKey: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startDemoServer(): Promise<DemoServer> {
  await ensureWebBuild();
  const dir = mkdtempSync(join(tmpdir(), 'kpihub-demo-'));
  const key = `kph_demo_${randomBytes(24).toString('hex')}`;
  const running = await startServer(
    loadConfig({
      KPIHUB_DATABASE_URL: `sqlite:${join(dir, 'demo.db')}`,
      KPIHUB_DATA_DIR: join(dir, 'data'),
      KPIHUB_ADMIN_KEY: key,
      KPIHUB_LOG_LEVEL: 'silent',
      KPIHUB_JOB_POLL_MS: '50',
      HOST: '127.0.0.1',
      PORT: '0',
    }),
  );
  const other = await insertOrganization(running.store.db, 'Acme Labs');
  const empty = await createApiKey(createStorage(running.store), {
    orgId: other.id,
    name: 'admin',
    scopes: ['read', 'write', 'admin'],
  });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const raw = typeof body === 'string';
    const res = await fetch(`${running.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': raw ? 'text/csv' : 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    url: running.url,
    key,
    emptyKey: empty.secret,
    call,
    async stop() {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.KPIHUB_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

export async function signIn(page: Page, key: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** YYYY-MM-DD of a UTC date. */
export const day = (d: Date) => d.toISOString().slice(0, 10);

/** The first days of the `count` months up to (and with) the current one. */
export function lastMonths(count: number): string[] {
  const now = new Date();
  return Array.from({ length: count }, (_, i) =>
    day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (count - 1 - i), 1))),
  );
}

/** A month's points as the native API takes them (the whole month as the period). */
export function monthPoint(start: string, value: string, extra: Record<string, unknown> = {}) {
  const d = new Date(`${start}T00:00:00Z`);
  const end = day(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)));
  return { period_start: start, period_end: end, value, ...extra };
}
