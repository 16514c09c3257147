import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { Invalid } from '../errors.ts';

// CSV files are read as a stream of arrays (twice as fast as objects), handed on in
// batches so that rows are validated and written a chunk at a time: memory holds one
// batch, never the file.

export interface CsvBatch {
  records: string[][];
  /** The 1-based line each record starts on (a quoted cell may span lines). */
  lines: number[];
}

// Each batch is written, then the event loop is let go (the job yields): 1,000 rows keep
// the API answering within tens of milliseconds, and write as fast as bigger batches do.
export const CSV_BATCH_ROWS = 1_000;

// relax_*: a row with too many or too few cells, or a stray quote inside a cell, is not a
// parse failure that hides every later row; the row rules report it with its line.
const OPTIONS = { bom: true, relax_column_count: true, relax_quotes: true } as const;

/**
 * The largest cell or row an import reads (KPIHUB_IMPORT_MAX_FIELD_BYTES), in characters.
 * A row of KPI data is a few hundred; without a bound, one quote never closed makes the
 * rest of the file a single cell that the parser holds and copies as it grows.
 */
export const DEFAULT_MAX_FIELD_BYTES = 1024 * 1024;

function countLineBreaks(record: string[]): number {
  let n = 0;
  for (const cell of record) {
    if (cell.length < 1 || cell.indexOf('\n') === -1) continue;
    for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) n++;
  }
  return n;
}

const REASONS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted cell starts on this line and is never closed',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'characters follow the closing quote of a cell',
  CSV_MAX_RECORD_SIZE:
    'the row starting on this line is larger than the import limit (a quote never closed makes the rest of the file one cell)',
};

/**
 * A CSV syntax error (say, a quote never closed) as an Invalid naming its line: the line
 * its record starts on when every earlier record was read, else the parser's own count.
 */
export function csvSyntaxError(error: CsvError, recordsRead: number, nextLine: number): Invalid {
  const info = error as CsvError & { records?: number; lines?: number };
  const line = info.records === recordsRead || !info.lines ? nextLine : info.lines;
  const reason = REASONS[error.code] ?? error.message.replace(/\s+at line \d+.*$/, '');
  return new Invalid([
    { field: `lines[${line}]`, line, message: `not valid CSV: ${reason}`, code: error.code },
  ]);
}

/**
 * Reads `source` as CSV and yields its records in batches of up to `batchSize`. A syntax
 * error the parser cannot step over throws Invalid with its line. Line numbers are counted
 * here rather than asked of csv-parse: its `info` option costs half the speed.
 */
export async function* csvBatches(
  source: Readable,
  batchSize = CSV_BATCH_ROWS,
  maxFieldBytes = DEFAULT_MAX_FIELD_BYTES,
): AsyncGenerator<CsvBatch> {
  const parser = parse({ ...OPTIONS, max_record_size: maxFieldBytes });
  let failure: unknown;
  let wake: (() => void) | undefined;
  const fail = (e: unknown) => {
    failure ??= e;
    wake?.();
  };
  // Resolves when the parser has records, has ended, or something failed.
  const next = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        parser.off('readable', done);
        parser.off('end', done);
        wake = undefined;
        resolve();
      };
      wake = done;
      parser.on('readable', done);
      parser.on('end', done);
    });
  source.on('error', fail);
  parser.on('error', fail);
  source.pipe(parser);
  let line = 1;
  let read = 0;
  let batch: CsvBatch = { records: [], lines: [] };
  try {
    for (;;) {
      for (let record = parser.read(); record !== null; record = parser.read()) {
        batch.records.push(record);
        batch.lines.push(line);
        read++;
        line += 1 + countLineBreaks(record);
        if (batch.records.length >= batchSize) {
          yield batch;
          batch = { records: [], lines: [] };
        }
      }
      if (failure !== undefined || parser.readableEnded) break;
      await next();
    }
    // The rows before a syntax error are still checked, so their problems are reported too.
    if (batch.records.length) yield batch;
    if (failure !== undefined) {
      if (failure instanceof CsvError) throw csvSyntaxError(failure, read, line);
      throw failure;
    }
  } finally {
    source.unpipe(parser);
    parser.destroy();
    source.off('error', fail);
  }
}
