import Big from 'big.js';
import type { ValueType } from './limits.ts';
import { isIsoDate } from './periods.ts';

// Values are stored as text in their canonical form. Decimals go through big.js, never
// through a float: "10.990" is stored as "10.99" and 0.1 + 0.2 sums to exactly 0.3.

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?$/;
const INTEGER = /^[+-]?\d+$/;
/** What may follow a date value's date: nothing, or an ISO-8601 time (its date part is kept). */
const TIME_PART = /^(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const MAX_DIGITS = 200;
export const TEXT_MAX = 10_000;

export type Checked = { ok: true; value: string | null } | { ok: false; message: string };

// big.js refuses a leading '+', which the patterns allow.
const unsigned = (s: string) => (s.startsWith('+') ? s.slice(1) : s);

/** Canonical text, or null when it is no decimal or too long (an exponent counts: 1e9999 is 10,000 digits). */
// Already canonical: no sign but '-', no leading zeros, no trailing fractional zeros, no
// exponent. Most values arrive like this, and need no big.js round.
const CANONICAL = /^-?(0|[1-9]\d*)(\.\d*[1-9])?$/;

export function canonicalDecimal(raw: string): string | null {
  const s = raw.trim();
  if (s.length > MAX_DIGITS) return null;
  if (CANONICAL.test(s) && s !== '-0') return s;
  if (!DECIMAL.test(s)) return null;
  const out = new Big(unsigned(s)).toFixed();
  if (out.length > MAX_DIGITS + 2) return null; // digits plus a sign and a point
  return out === '-0' ? '0' : out;
}

function asText(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  // A JSON number was already parsed by JSON.parse; its shortest text is what the
  // client wrote for every value that a double can hold exactly enough to print back.
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

/** Checks a value against a value type and returns its canonical text (null clears it). */
export function checkValue(valueType: ValueType, raw: unknown): Checked {
  if (raw === null) return { ok: true, value: null };
  switch (valueType) {
    case 'number':
    case 'percentage':
    case 'currency': {
      const text = asText(raw);
      const value = text === undefined ? null : canonicalDecimal(text);
      return value === null
        ? { ok: false, message: 'must be a decimal number, e.g. "10.99"' }
        : { ok: true, value };
    }
    case 'integer': {
      const text = asText(raw)?.trim();
      if (text === undefined || !INTEGER.test(text) || text.length > MAX_DIGITS) {
        return { ok: false, message: 'must be a whole number' };
      }
      const value = new Big(unsigned(text)).toFixed();
      return { ok: true, value: value === '-0' ? '0' : value };
    }
    case 'text':
      if (typeof raw !== 'string') return { ok: false, message: 'must be a string' };
      if (raw.length > TEXT_MAX) return { ok: false, message: `must be at most ${TEXT_MAX} characters` };
      return { ok: true, value: raw };
    case 'date':
      if (typeof raw !== 'string' || !isIsoDate(raw.slice(0, 10)) || !TIME_PART.test(raw.slice(10))) {
        return { ok: false, message: 'must be a date as YYYY-MM-DD' };
      }
      return { ok: true, value: raw.slice(0, 10) };
    case 'boolean': {
      const text = typeof raw === 'boolean' ? String(raw) : asText(raw)?.trim().toLowerCase();
      if (text === 'true' || text === '1') return { ok: true, value: 'true' };
      if (text === 'false' || text === '0') return { ok: true, value: 'false' };
      return { ok: false, message: 'must be true or false' };
    }
  }
}

export const isNumericType = (t: ValueType): boolean =>
  t === 'number' || t === 'percentage' || t === 'currency' || t === 'integer';
