// The app's OpenAPI document (what GET /openapi.json serves), built from buildApp without
// listening, over an in-memory SQLite store.
//
//   node --import tsx scripts/openapi.ts <out.json>   writes it to a file
//   node --import tsx scripts/openapi.ts --lint       lints it with Redocly (redocly.yaml);
//                                                     `npm run lint:openapi`, run in npm test

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { buildApp } from '../src/http/app.ts';
import { openStore } from '../src/store/database.ts';

async function openApiDocument(): Promise<unknown> {
  const config = loadConfig({
    KPIHUB_DATABASE_URL: 'sqlite::memory:',
    KPIHUB_LOG_LEVEL: 'silent',
    KPIHUB_WORKERS: '0',
  });
  const store = openStore(config.database);
  try {
    const app = await buildApp({ config, store, logger: pino({ level: 'silent' }) });
    await app.ready();
    const doc = app.swagger();
    await app.close();
    return doc;
  } finally {
    await store.close();
  }
}

const arg = process.argv[2];
if (!arg) {
  console.error('usage: scripts/openapi.ts <out.json> | --lint');
  process.exit(2);
}
const text = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
if (arg !== '--lint') {
  writeFileSync(arg, text);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'kpihub-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, text);
    const lint = spawnSync('redocly', ['lint', file, '--config', 'redocly.yaml'], {
      stdio: 'inherit',
      // No telemetry, no update check: the lint runs offline, in CI too.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    process.exitCode = lint.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
