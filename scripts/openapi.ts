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
import { openApiDocument } from './openapi-document.ts';

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
