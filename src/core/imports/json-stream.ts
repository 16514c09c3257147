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

/**
 * A JSON array of rows, element by element. The scanner tracks strings and nesting only
 * to find each element's end; an element that is not valid JSON becomes an issue on its
 * line, and the scan goes on with the next one.
 */
export async function* jsonArrayBatches(
  source: AsyncIterable<Buffer | string>,
  batchSize = JSON_BATCH_ROWS,
  maxItemChars = DEFAULT_MAX_FIELD_BYTES,
): AsyncGenerator<ItemBatch> {
  const decoder = new StringDecoder('utf8');
  let line = 1;
  // first: after `[` (a row or `]`); next: after `,` (a row); item: inside a row.
  let state: 'start' | 'first' | 'next' | 'item' | 'end' = 'start';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let pieces: string[] = [];
  let itemChars = 0;
  let itemLine = 1;
  let index = 0;
  let batch = emptyBatch();
  const structure = (message: string) => new Invalid([rowIssue(line, null, message, 'json')]);
  const tooLarge = () =>
    new Invalid([
      rowIssue(itemLine, null, `row too large: more than ${maxItemChars} characters`, 'too_large'),
    ]);

  const finishItem = (text: string) => {
    if (itemChars + text.length > maxItemChars) throw tooLarge();
    pieces.push(text);
    const path = `rows[${index++}]`;
    const item = parseItem(pieces.join(''), itemLine, path, batch.issues);
    pieces = [];
    itemChars = 0;
    if (item !== undefined) {
      batch.items.push(item);
      batch.lines.push(itemLine);
      batch.paths.push(path);
    }
  };

  const scan = (text: string) => {
    let from = state === 'item' ? 0 : -1; // where the current row's text starts in this piece
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '\n') line++;
      if (state === 'item') {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if ((c === '}' || c === ']') && depth > 0) depth--;
        else if (depth === 0 && (c === ',' || c === ']')) {
          finishItem(text.slice(from, i));
          state = c === ',' ? 'next' : 'end';
        }
        continue;
      }
      if (WS.has(c)) continue;
      if (state === 'start') {
        if (c !== '[') throw structure('a JSON file must hold an array of rows');
        state = 'first';
      } else if (state === 'end') {
        throw structure('unexpected text after the closing ]');
      } else if (c === ']' && state === 'first') {
        state = 'end';
      } else if (c === ',' || c === ']') {
        throw structure(`unexpected "${c}" where a row should be`);
      } else {
        state = 'item';
        from = i;
        itemLine = line;
        inString = c === '"';
        escaped = false;
        depth = c === '{' || c === '[' ? 1 : 0;
      }
    }
    if (state === 'item') {
      const rest = text.slice(from);
      itemChars += rest.length;
      if (itemChars > maxItemChars) throw tooLarge();
      pieces.push(rest);
    }
  };

  // The rows before a structural error are still checked, so their problems are reported too.
  let failure: Invalid | undefined;
  const scanning = (text: string) => {
    try {
      scan(text);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      failure = e;
    }
  };
  for await (const chunk of source) {
    scanning(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    if (failure || batch.items.length + batch.issues.length >= batchSize) {
      if (batch.items.length || batch.issues.length) yield batch;
      batch = emptyBatch();
    }
    if (failure) throw failure;
  }
  scanning(decoder.end());
  if (batch.items.length || batch.issues.length) yield batch;
  if (failure) throw failure;
  // (`state` is changed by scan(); TypeScript cannot see it from here.)
  if ((state as string) !== 'end') throw structure('the JSON array is not closed');
}
