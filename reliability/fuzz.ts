// npm run fuzz: the hostile-input property of test/fuzz at FUZZ_CASES requests per engine
// (100,000 unless set), with no time bound, then its figures into docs/reliability.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, writeSection } from './report.ts';

interface Figures {
  engine: string;
  cases: number;
  fiveHundreds: number;
  statuses: Record<string, number>;
  durationMs: number;
  seed: number;
  violations: Record<string, number>;
}

const cases = process.env.FUZZ_CASES ?? '100000';
const seed = process.env.FUZZ_SEED ?? String(Date.now() % 2 ** 31);
const dir = mkdtempSync(join(tmpdir(), 'kpihub-fuzz-'));
const report = join(dir, 'figures.jsonl');
let failed = false;
try {
  execFileSync('npx', ['vitest', 'run', 'test/fuzz/hostile-input.test.ts'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      FUZZ_CASES: cases,
      FUZZ_SEED: seed,
      FUZZ_REPORT: report,
      FUZZ_BUDGET_MS: String(12 * 3600_000),
    },
  });
} catch {
  failed = true;
}
const runs: Figures[] = readFileSync(report, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
rmSync(dir, { recursive: true, force: true });

const rows = runs.map((r) => {
  const rejections = Object.entries(r.statuses)
    .filter(([s]) => Number(s) >= 400)
    .map(([s, n]) => `${s}×${n}`)
    .join(', ');
  const violations =
    Object.entries(r.violations)
      .map(([k, n]) => `${k}: ${n}`)
      .join('; ') || 'none';
  return `| ${r.engine} | ${r.cases.toLocaleString('en-US')} | ${r.fiveHundreds} | ${rejections} | ${violations} | ${(r.durationMs / 1000).toFixed(0)} s | ${r.seed} |`;
});
writeSection(
  'fuzz',
  `## Hostile input (fuzz)

\`FUZZ_CASES=${cases} FUZZ_SEED=${seed} npm run fuzz\` on ${machine()}, ${new Date().toISOString().slice(0, 10)}.
Every documented route (from the app's OpenAPI document), hostile bodies, query strings and path values, sent
with an admin key through \`app.inject\`. Properties: no 5xx, the error body in the route's dialect shape, no
row changed by a rejected write. "Cases" counts the requests sent; nothing is skipped.

| engine | cases | 5xx | rejection statuses | violations | duration | seed |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`,
);
process.stdout.write('wrote docs/reliability.md (fuzz)\n');
if (failed) process.exit(1);
