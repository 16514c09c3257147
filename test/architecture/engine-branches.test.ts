import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Engine differences live in src/store/engine/ (EngineOps). Anywhere else, code that asks
// which engine it runs on is a branch the next engine would have to find: this test lists
// them (file:line) so they stay out.

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const ENGINE_DIR = 'src/store/engine/';

/** What an engine branch looks like in source. */
const BRANCH_PATTERNS: [string, RegExp][] = [
  ['capability flags', /\bcaps\./],
  ['raw SQLite handle', /\.sqlite\b(?!\.)/],
  ['raw pg pool', /\.pool\b/],
  ['engine comparison', /\bengine\s*[!=]==/],
  ['engine name comparison', /[!=]==\s*['"](postgres|sqlite)['"]|['"](postgres|sqlite)['"]\s*[!=]==/],
  ['driver class test', /instanceof\s+(SQLite|Database|pg\.|Pool|Client|PostgresDialect|SqliteDialect)\b/],
];

/** Allowed outside src/store/engine/, each with why. Keep this list short. */
const ALLOWED: { file: string; pattern: RegExp; why: string }[] = [
  // config.ts parses the URL scheme into { engine: 'sqlite' | 'postgres', … }.
  { file: 'src/config.ts', pattern: /url\.engine === 'sqlite'/, why: 'parses the URL scheme' },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Comments are prose: a comment that names an engine is no branch. */
function code(line: string): string {
  const comment = line.search(/\/\/|^\s*\*|\/\*/);
  return comment === -1 ? line : line.slice(0, comment);
}

function engineBranches(): string[] {
  const found: string[] = [];
  for (const path of sourceFiles(SRC)) {
    const file = relative(ROOT, path).split('\\').join('/');
    if (file.startsWith(ENGINE_DIR)) continue;
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const text = code(line);
        for (const [what, pattern] of BRANCH_PATTERNS) {
          if (!pattern.test(text)) continue;
          if (ALLOWED.some((a) => a.file === file && a.pattern.test(text))) continue;
          found.push(`${file}:${i + 1} (${what}): ${line.trim()}`);
        }
      });
  }
  return found;
}

describe('engine branches', () => {
  it('exist only in src/store/engine/ (and the short allowed list)', () => {
    expect(engineBranches()).toEqual([]);
  });

  it('are still recognized (the patterns catch what they are meant to)', () => {
    const samples = [
      'if (store.caps.singleWriter) {',
      'const h = store.sqlite;',
      'await store.pool.connect();',
      "return store.engine === 'postgres'",
      "x.kind === 'sqlite' ? a : b",
      'if (db instanceof SQLite) {',
    ];
    for (const s of samples)
      expect(
        BRANCH_PATTERNS.some(([, p]) => p.test(code(s))),
        s,
      ).toBe(true);
  });
});
