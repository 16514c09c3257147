import { StringDecoder } from 'node:string_decoder';
import { type FieldIssue, Invalid } from '../errors.ts';
import { linePath, rowIssue } from './csv-rows.ts';
import { DEFAULT_MAX_FIELD_BYTES } from './parse-stream.ts';

// JSON files are read as streams too: NDJSON a line at a time, and a JSON array an element
// at a time (a small scanner finds where each element ends; JSON.parse reads it). Memory
// holds one batch of rows, never the file.

export interface ItemBatch {
  /** The parsed rows; a row that could not be read is left out and has an issue instead. */
  items: unknown[];
  lines: number[];
  /** How issues name each row: `lines[3]` (NDJSON), `rows[2]` (JSON array, 0-based). */
  paths: string[];
  issues: FieldIssue[];
}

export const JSON_BATCH_ROWS = 1_000;

const emptyBatch = (): ItemBatch => ({ items: [], lines: [], paths: [], issues: [] });

function parseItem(text: string, line: number, path: string, issues: FieldIssue[]): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    issues.push({ field: path, line, message: `not valid JSON: ${reason}`, code: 'json' });
    return undefined;
  }
}

/** NDJSON (one JSON value a line); blank lines are skipped. */
export async function* ndjsonBatches(
  source: AsyncIterable<Buffer | string>,
  batchSize = JSON_BATCH_ROWS,
  maxItemChars = DEFAULT_MAX_FIELD_BYTES,
): AsyncGenerator<ItemBatch> {
  // One row of a JSON file is a few hundred bytes; a huge one is a malformed file, and
  // holding it would let one line take the process's memory.
  const tooLong = (at: number) =>
    new Invalid([rowIssue(at, null, `line too long: more than ${maxItemChars} characters`, 'too_large')]);
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 0;
  let batch = emptyBatch();
  const take = (text: string) => {
    line++;
    const t = line === 1 ? text.replace(/^\uFEFF/, '') : text;
    if (t.trim() === '') return;
    const path = linePath(line);
    const item = parseItem(t, line, path, batch.issues);
    if (item !== undefined) {
      batch.items.push(item);
      batch.lines.push(line);
      batch.paths.push(path);
    }
  };
  for await (const chunk of source) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const parts = text.split('\n');
    carry = parts.pop() ?? '';
    for (const part of parts) {
      if (part.length > maxItemChars) throw tooLong(line + 1);
      take(part);
    }
    if (carry.length > maxItemChars) throw tooLong(line + 1);
    if (batch.items.length + batch.issues.length >= batchSize) {
      yield batch;
      batch = emptyBatch();
    }
  }
  const rest = carry + decoder.end();
  if (rest.length > maxItemChars) throw tooLong(line + 1);
  if (rest.length) take(rest);
  if (batch.items.length || batch.issues.length) yield batch;
}

const WS = new Set([' ', '\t', '\n', '\r', '\uFEFF']);

// first: after `[` (a row or `]`); next: after `,` (a row); item: inside a row.
type ScanState = 'start' | 'first' | 'next' | 'item' | 'end';

/**
 * Finds where each element of a JSON array ends, piece by piece of text. It tracks strings
 * and nesting only; JSON.parse reads each element. Parsed rows gather in `batch`.
 */
class ArrayScanner {
  state: ScanState = 'start';
  batch = emptyBatch();
  /** A structural error; the rows before it are still reported. */
  failure: Invalid | undefined;
  private line = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private pieces: string[] = [];
  private itemChars = 0;
  private itemLine = 1;
  private index = 0;

  constructor(private readonly maxItemChars: number) {}

  structure(message: string): Invalid {
    return new Invalid([rowIssue(this.line, null, message, 'json')]);
  }

  private tooLarge(): Invalid {
    const message = `row too large: more than ${this.maxItemChars} characters`;
    return new Invalid([rowIssue(this.itemLine, null, message, 'too_large')]);
  }

  /** Scans a piece of text, keeping a structural error in `failure`. */
  feed(text: string): void {
    try {
      this.scan(text);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      this.failure = e;
    }
  }

  /** The rows gathered so far (none: undefined), and a fresh batch for the next ones. */
  takeBatch(): ItemBatch | undefined {
    const batch = this.batch;
    this.batch = emptyBatch();
    return batch.items.length || batch.issues.length ? batch : undefined;
  }

  private scan(text: string): void {
    let from = this.state === 'item' ? 0 : -1; // where the current row's text starts in this piece
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '\n') this.line++;
      if (this.state === 'item') {
        if (this.endsItem(c)) this.finishItem(text.slice(from, i), c);
      } else if (!WS.has(c) && this.startsItem(c)) from = i;
    }
    if (this.state === 'item') this.keep(text.slice(from));
  }

  /** Inside a row: follows strings and nesting; true at the `,` or `]` that ends the row. */
  private endsItem(c: string): boolean {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === '\\') this.escaped = true;
      else if (c === '"') this.inString = false;
      return false;
    }
    if (c === '"') this.inString = true;
    else if (c === '{' || c === '[') this.depth++;
    else if ((c === '}' || c === ']') && this.depth > 0) this.depth--;
    else return this.depth === 0 && (c === ',' || c === ']');
    return false;
  }

  /** Between rows, at a character that is not white space: true when a row starts at it. */
  private startsItem(c: string): boolean {
    if (this.state === 'start') {
      if (c !== '[') throw this.structure('a JSON file must hold an array of rows');
      this.state = 'first';
      return false;
    }
    if (this.state === 'end') throw this.structure('unexpected text after the closing ]');
    if (c === ']' && this.state === 'first') {
      this.state = 'end';
      return false;
    }
    if (c === ',' || c === ']') throw this.structure(`unexpected "${c}" where a row should be`);
    this.state = 'item';
    this.itemLine = this.line;
    this.inString = c === '"';
    this.escaped = false;
    this.depth = c === '{' || c === '[' ? 1 : 0;
    return true;
  }

  /** A row's text continues into the next piece. */
  private keep(rest: string): void {
    this.itemChars += rest.length;
    if (this.itemChars > this.maxItemChars) throw this.tooLarge();
    this.pieces.push(rest);
  }

  private finishItem(text: string, end: string): void {
    if (this.itemChars + text.length > this.maxItemChars) throw this.tooLarge();
    this.state = end === ',' ? 'next' : 'end';
    this.pieces.push(text);
    const path = `rows[${this.index++}]`;
    const item = parseItem(this.pieces.join(''), this.itemLine, path, this.batch.issues);
    this.pieces = [];
    this.itemChars = 0;
    if (item !== undefined) {
      this.batch.items.push(item);
      this.batch.lines.push(this.itemLine);
      this.batch.paths.push(path);
    }
  }
}

/**
 * A JSON array of rows, element by element. An element that is not valid JSON becomes an
 * issue on its line, and the scan goes on with the next one.
 */
export async function* jsonArrayBatches(
  source: AsyncIterable<Buffer | string>,
  batchSize = JSON_BATCH_ROWS,
  maxItemChars = DEFAULT_MAX_FIELD_BYTES,
): AsyncGenerator<ItemBatch> {
  const decoder = new StringDecoder('utf8');
  const scanner = new ArrayScanner(maxItemChars);
  for await (const chunk of source) {
    scanner.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const full = scanner.batch.items.length + scanner.batch.issues.length >= batchSize;
    const batch = scanner.failure || full ? scanner.takeBatch() : undefined;
    if (batch) yield batch;
    if (scanner.failure) throw scanner.failure;
  }
  scanner.feed(decoder.end());
  const last = scanner.takeBatch();
  if (last) yield last;
  if (scanner.failure) throw scanner.failure;
  if (scanner.state !== 'end') throw scanner.structure('the JSON array is not closed');
}
