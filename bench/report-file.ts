// docs/benchmarks.md holds two kinds of text: the tables of the last full `npm run bench`,
// which the bench rewrites, and sections written by hand (before/after measurements of a
// change, experiments), which a new run must not erase. The generated tables live between
// two markers; everything outside them is kept as it is.

export const GENERATED_START = '<!-- npm run bench: generated from here; rewritten by every full run -->';
export const GENERATED_END =
  '<!-- npm run bench: generated up to here; what follows is written by hand and kept -->';

/**
 * The file's new text: `generated` between the markers, the rest of `existing` kept. A file
 * without markers (written before they existed) keeps all its text after the generated
 * block, below the end marker; no file yet gives the generated block alone.
 */
export function mergeReport(existing: string | undefined, generated: string): string {
  const block = `${GENERATED_START}\n\n${generated.trim()}\n\n${GENERATED_END}\n`;
  if (existing === undefined || existing.trim() === '') return block;
  const start = existing.indexOf(GENERATED_START);
  const end = existing.indexOf(GENERATED_END);
  if (start !== -1 && end > start) {
    return existing.slice(0, start) + block + existing.slice(end + GENERATED_END.length).replace(/^\n/, '');
  }
  return `${block}\n${existing.trim()}\n`;
}
