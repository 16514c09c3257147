import { describe, expect, it } from 'vitest';
import { GENERATED_END, GENERATED_START, mergeReport } from '../../bench/report-file.ts';

describe('docs/benchmarks.md: a full run rewrites its tables and keeps what was written by hand', () => {
  it('writes the generated block alone when there is no file yet', () => {
    const out = mergeReport(undefined, '# Benchmarks\n\n| a | 1 |');
    expect(out).toBe(`${GENERATED_START}\n\n# Benchmarks\n\n| a | 1 |\n\n${GENERATED_END}\n`);
  });

  it('replaces only the text between the markers', () => {
    const before = `Intro by hand\n${GENERATED_START}\n\nold tables\n\n${GENERATED_END}\n\n## Issue 14: before and after\n\nkept\n`;
    const out = mergeReport(before, 'new tables');
    expect(out).toBe(
      `Intro by hand\n${GENERATED_START}\n\nnew tables\n\n${GENERATED_END}\n\n## Issue 14: before and after\n\nkept\n`,
    );
    expect(out).not.toContain('old tables');
    // A second run changes nothing but the tables.
    expect(mergeReport(out, 'new tables')).toBe(out);
  });

  it('keeps a file written before the markers existed, whole, below the new tables', () => {
    const old = '# Benchmarks\n\n## Issue 12: reads\n\nby hand\n';
    const out = mergeReport(old, 'tables');
    expect(out.indexOf('tables')).toBeLessThan(out.indexOf(GENERATED_END));
    expect(out.slice(out.indexOf(GENERATED_END))).toContain('## Issue 12: reads\n\nby hand');
  });
});
