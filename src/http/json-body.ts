import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Invalid } from '../core/errors.ts';

/**
 * Deepest nesting of arrays and objects a JSON body may have. No documented body of any
 * dialect goes past ~6 levels; 64 leaves room for free-form `traits` / `dataSource`
 * while keeping every recursive walk over a body (JSON.stringify for the idempotency
 * hash, trait merging, ajv) far from the stack limit, which 5,000 levels reached.
 */
export const JSON_MAX_DEPTH = 64;

/** Numbers with fewer characters than this are always finite; longer ones are checked. */
const SHORT_NUMBER = 16;

/**
 * One linear pass over a JSON text before it is parsed: refuses nesting deeper than
 * JSON_MAX_DEPTH, the escape `\u0000` (PostgreSQL can store a NUL in neither text nor
 * jsonb, so both engines refuse it up front) and number literals that JSON.parse would
 * turn into ±Infinity (`1e400`). Returns the problem, or undefined when the text is fine.
 * It does not check the grammar: JSON.parse does that right after.
 */
export function jsonTextProblem(text: string): Invalid | undefined {
  if (text.includes('\u0000') || hasNulEscape(text)) {
    return Invalid.field('body', 'must not contain the NUL character (\\u0000)', true);
  }
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Jump to the closing quote: one not preceded by an odd run of backslashes.
      let j = text.indexOf('"', i + 1);
      while (j !== -1 && oddBackslashesBefore(text, j)) j = text.indexOf('"', j + 1);
      if (j === -1) return undefined; // unterminated: JSON.parse reports it
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > JSON_MAX_DEPTH) {
        return Invalid.field(
          'body',
          `must not nest arrays and objects deeper than ${JSON_MAX_DEPTH} levels`,
          true,
        );
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < n && isNumberChar(text.charCodeAt(end))) end++;
      if (end - i >= SHORT_NUMBER || hasExponent(text, i, end)) {
        if (!Number.isFinite(Number(text.slice(i, end)))) {
          return Invalid.field(
            'body',
            `number ${text.slice(i, Math.min(end, i + 40))} is out of range`,
            true,
          );
        }
      }
      i = end - 1;
    }
  }
  return undefined;
}

function oddBackslashesBefore(text: string, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && text.charCodeAt(k) === 0x5c) k--;
  return (at - 1 - k) % 2 === 1;
}

/** `\u0000` as an escape (not the text `\\u0000`, an escaped backslash then "u0000"). */
function hasNulEscape(text: string): boolean {
  for (let k = text.indexOf('\\u0000'); k !== -1; k = text.indexOf('\\u0000', k + 1)) {
    if (oddBackslashesBefore(text, k + 1)) return true;
  }
  return false;
}

const isNumberChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;

function hasExponent(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x65 || c === 0x45) return true;
  }
  return false;
}

const PLUS_JSON = /^application\/[\w.-]+\+json(\s*;.*)?$/i;

type Done = (err: Error | null, body?: unknown) => void;

/**
 * Replaces Fastify's JSON parser (application/json and every `+json` type) in `app`'s
 * scope with one that runs jsonTextProblem first, then Fastify's own parser (which keeps
 * its `__proto__` / `constructor` poisoning protection). `empty` answers a body that is
 * only whitespace, for a dialect that documents one (Workiva); otherwise it is an error.
 */
export function registerJsonParser(app: FastifyInstance, empty?: () => unknown): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  const parser = (request: FastifyRequest, body: string | Buffer, done: Done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (empty && text.trim() === '') return done(null, empty());
    const problem = jsonTextProblem(text);
    if (problem) return done(problem);
    return parse(request, text, done);
  };
  for (const type of ['application/json', PLUS_JSON]) {
    if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
    app.addContentTypeParser(type, { parseAs: 'string' }, parser);
  }
}
