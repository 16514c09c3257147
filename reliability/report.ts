// docs/reliability.md holds one section per script (fuzz, crash test, soak); each run
// rewrites its own section between markers and leaves the others as they are.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const FILE = 'docs/reliability.md';
const HEAD = `# Reliability

Figures from the hostile-input fuzzer (\`npm run fuzz\`), the crash test (\`npm run crash-test -- N\`)
and the soak (\`npm run soak\`). Each script rewrites its own section; the command and the
machine are given with each figure.
`;

export const machine = (): string =>
  `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`;

export function writeSection(name: string, markdown: string): void {
  mkdirSync('docs', { recursive: true });
  const text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEAD;
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const at = text.indexOf(start);
  const next =
    at >= 0
      ? `${text.slice(0, at)}${block}${text.slice(text.indexOf(end) + end.length)}`
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, next);
}
