import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { createApiKey } from '../../src/core/api-keys.ts';
import { type Running, startServer } from '../../src/server.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createStorage } from '../../src/store/storage.ts';
import { createTestDatabase, type Engine, type TestDatabase } from './engines.ts';

// The dashboard's tests drive a real browser (Debian's Chromium through playwright-core)
// against a real server: startServer, listening on a free port, with its job worker and
// rollup refresher, over a database of the test file's own.

export const CHROMIUM = process.env.KPIHUB_CHROMIUM ?? '/usr/bin/chromium';

export interface BrowserServer {
  url: string;
  running: Running;
  /** The organization npm start makes (its admin key), and another one. */
  orgA: { id: string; admin: string };
  orgB: { id: string; admin: string };
  close(): Promise<void>;
}

export async function startBrowserServer(engine: Engine): Promise<BrowserServer> {
  const database: TestDatabase = await createTestDatabase(engine);
  const dataDir = mkdtempSync(join(tmpdir(), 'kpihub-web-'));
  const adminKey = `kph_test_${randomBytes(24).toString('hex')}`;
  const config = loadConfig({
    KPIHUB_DATABASE_URL: database.env,
    PORT: '0',
    HOST: '127.0.0.1',
    KPIHUB_ADMIN_KEY: adminKey,
    KPIHUB_LOG_LEVEL: 'silent',
    KPIHUB_WORKERS: '1',
    KPIHUB_JOB_POLL_MS: '50',
    KPIHUB_DATA_DIR: dataDir,
  });
  const running = await startServer(config);
  const storage = createStorage(running.store);
  const session = await fetch(`${running.url}/v1/session`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const orgAId = ((await session.json()) as { org_id: string }).org_id;
  const b = await insertOrganization(running.store.db, 'Org B');
  const bKey = await createApiKey(storage, {
    orgId: b.id,
    name: 'b-admin',
    scopes: ['read', 'write', 'admin'],
  });
  return {
    url: running.url,
    running,
    orgA: { id: orgAId, admin: adminKey },
    orgB: { id: b.id, admin: bKey.secret },
    async close() {
      await running.stop();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** A fresh browser profile (its own cookies) signed in with the key, on the overview. */
export async function signedIn(
  browser: Browser,
  server: BrowserServer,
  key: string,
  opts: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: server.url,
    colorScheme: opts.colorScheme ?? 'light',
    viewport: opts.viewport ?? { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return { context, page };
}

/** A JSON request to the server with an API key (what a script would send). */
export async function apiCall(
  server: BrowserServer,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
