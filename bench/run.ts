// npm run bench: starts KPI Hub on fresh SQLite files and measures each section against
// its reference in the same run, then prints the ratios and writes docs/benchmarks.md.
// BENCH_QUICK=1 runs smaller sizes (same code paths); BENCH_ONLY=name,name runs some sections.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { mergeReport } from './report-file.ts';
import { startServer } from './server.ts';
import type { BenchEnv, BenchSection } from './types.ts';

type SectionModule = { run(env: BenchEnv): Promise<BenchSection> };

// The sections, in the order they run and are written.
const SECTIONS: Record<string, () => Promise<SectionModule>> = {
  ingest: () => import('./ingest.ts'),
  vitally: () => import('./vitally.ts'),
  workiva: () => import('./workiva.ts'),
  'csv-import': () => import('./csv-import.ts'),
  read: () => import('./read.ts'),
  scale: () => import('./scale.ts'),
};

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

function render(sections: BenchSection[], command: string): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Benchmarks',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    'Each ratio compares two figures measured in the same run on the same machine.',
    'Why the figures are what they are, and what was tried: [performance.md](performance.md).',
    '',
  ];
  for (const s of sections) {
    lines.push(`## ${s.title}`, '', '| figure | value | unit |', '|---|---:|---|');
    for (const f of s.figures) lines.push(`| ${f.name} | ${fmt(f.value)} | ${f.unit} |`);
    if (s.ratios.length) {
      lines.push('', '| ratio | value | target | met |', '|---|---:|---:|---|');
      for (const r of s.ratios) {
        const met = r.target === undefined ? '' : r.value >= r.target ? 'yes' : '**no**';
        lines.push(
          `| ${r.name} | ${r.value.toFixed(2)} | ${r.target === undefined ? '' : `≥ ${r.target}`} | ${met} |`,
        );
      }
    }
    if (s.notes?.length) lines.push('', ...s.notes.map((n) => `- ${n}`));
    lines.push('');
  }
  return lines.join('\n');
}

async function main() {
  const quick = process.env.BENCH_QUICK === '1';
  // BENCH_NO_BUILD=1 runs the bundle as it is in dist/ (to compare two builds, one after the other).
  if (process.env.BENCH_NO_BUILD !== '1')
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
  const dir = mkdtempSync(join(tmpdir(), 'kpihub-bench-'));
  const env: BenchEnv = { dir, quick, startServer: (e) => startServer(dir, e) };
  const results: BenchSection[] = [];
  try {
    for (const [name, load] of Object.entries(SECTIONS)) {
      if (only && !only.includes(name)) continue;
      process.stdout.write(`\n== ${name}\n`);
      const section = await (await load()).run(env);
      results.push(section);
      for (const f of section.figures) process.stdout.write(`  ${f.name}: ${fmt(f.value)} ${f.unit}\n`);
      for (const r of section.ratios) {
        const verdict =
          r.target === undefined
            ? ''
            : r.value >= r.target
              ? ' (target met)'
              : ` (target ${r.target} NOT met)`;
        process.stdout.write(`  ${r.name}: ${r.value.toFixed(2)}${verdict}\n`);
      }
      for (const n of section.notes ?? []) process.stdout.write(`  - ${n}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const command = `${quick ? 'BENCH_QUICK=1 ' : ''}${only ? `BENCH_ONLY=${only.join(',')} ` : ''}npm run bench`;
  if (!only && !quick) {
    mkdirSync('docs', { recursive: true });
    const file = 'docs/benchmarks.md';
    const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    // Sections written by hand (before/after measurements) are kept: see report-file.ts.
    writeFileSync(file, mergeReport(existing, render(results, command)));
    process.stdout.write('\nwrote docs/benchmarks.md\n');
  } else {
    process.stdout.write('\n(partial or quick run: docs/benchmarks.md left as it is)\n');
  }
}

await main();
