import type { Readable } from 'node:stream';
import { Invalid } from '../errors.ts';
import { rowIssue } from './csv-rows.ts';

// One rule for every file import: a file with nothing to apply (no bytes, blank lines
// only, a header alone, `[]`) is refused with 400 naming line 1, before a job is made.
// It is almost always the wrong file, and a job "completed, 0 rows" hides that.

/** The refusal: 400 (a request that cannot be right as sent), on line 1, code empty_file. */
export const emptyFile = (): Invalid =>
  new Invalid([rowIssue(1, null, 'empty file: the file has no rows to apply', 'empty_file')], true);

/**
 * Reads `source` only until it holds a data row (`rows` yields how many each piece has) and
 * throws emptyFile() when it has none. A file that does not parse is not judged here: its
 * job reports the problem with its line, like any other.
 */
export async function refuseEmpty(rows: AsyncIterable<number>, source: Readable): Promise<void> {
  try {
    for await (const n of rows) if (n > 0) return;
  } catch (e) {
    if (e instanceof Invalid) return;
    throw e;
  } finally {
    source.destroy();
  }
  throw emptyFile();
}
