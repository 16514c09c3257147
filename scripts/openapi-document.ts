import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { buildApp } from '../src/http/app.ts';
import { openStore } from '../src/store/database.ts';

// The app's OpenAPI document (what GET /openapi.json serves), built from buildApp without
// listening, over an in-memory SQLite store. One module for everyone who needs the document
// offline: the Redocly lint (scripts/openapi.ts), the dashboard's client generator
// (scripts/gen-client.ts) and the test that the committed client is not stale.
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({
    KPIHUB_DATABASE_URL: 'sqlite::memory:',
    KPIHUB_LOG_LEVEL: 'silent',
    KPIHUB_WORKERS: '0',
  });
  const store = openStore(config.database);
  try {
    const app = await buildApp({ config, store, logger: pino({ level: 'silent' }) });
    await app.ready();
    const doc = app.swagger() as unknown as Record<string, unknown>;
    await app.close();
    return doc;
  } finally {
    await store.close();
  }
}
