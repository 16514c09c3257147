import { describe, expect, it } from 'vitest';
import { canonicalDecimal, checkValue, isNumericType, TEXT_MAX } from '../../src/core/values.ts';

// Pure rules: no database is involved, so these run once rather than per engine.

const ok = (value: string | null) => ({ ok: true, value });
const bad = { ok: false, message: expect.any(String) };

describe('canonicalDecimal', () => {
  it.each([
    ['10.99', '10.99'],
    ['10.990', '10.99'],
    ['-00012.3400', '-12.34'],
    ['0.000', '0'],
    ['1.', '1'],
    ['.5', '0.5'],
    ['-.5', '-0.5'],
    [' 5 ', '5'],
    ['+1', '1'],
    ['+0.25', '0.25'],
    ['1E3', '1000'],
    ['1.5e2', '150'],
    ['2.5e-3', '0.0025'],
    ['-1e+2', '-100'],
    ['-0', '0'],
    ['-0.0', '0'],
    ['-0e5', '0'],
    ['-.0', '0'],
    ['+0', '0'],
    // More digits than a double holds: kept exactly, never through a float.
    ['12345678901234567890.123456789012345678', '12345678901234567890.123456789012345678'],
    ['0.1000000000000000055511151231257827', '0.1000000000000000055511151231257827'],
  ])('%j is %j', (raw, canonical) => {
    expect(canonicalDecimal(raw)).toBe(canonical);
  });

  it.each([
    '',
    ' ',
    'abc',
    '1,5',
    '1.2.3',
    '--1',
    '+-1',
    '1e',
    'e5',
    '.',
    '0x10',
    'Infinity',
    'NaN',
    '1e12345',
    '1 000',
  ])('refuses %j', (raw) => {
    expect(canonicalDecimal(raw)).toBeNull();
  });

  it('refuses values whose exact text would be unbounded (a huge exponent), and over-long input', () => {
    expect(canonicalDecimal('1e9999')).toBeNull();
    expect(canonicalDecimal('1e-9999')).toBeNull();
    expect(canonicalDecimal('9'.repeat(201))).toBeNull();
    expect(canonicalDecimal('9'.repeat(200))).toBe('9'.repeat(200));
    expect(canonicalDecimal('1e150')).toBe(`1${'0'.repeat(150)}`);
  });
});

describe('checkValue', () => {
  it('null clears the value for every type', () => {
    for (const t of ['number', 'percentage', 'currency', 'integer', 'text', 'date', 'boolean'] as const) {
      expect(checkValue(t, null)).toEqual(ok(null));
    }
  });

  it.each(['number', 'percentage', 'currency'] as const)('%s: canonical decimal text', (t) => {
    expect(checkValue(t, '10.990')).toEqual(ok('10.99'));
    expect(checkValue(t, '+3')).toEqual(ok('3'));
    expect(checkValue(t, '-0.00')).toEqual(ok('0'));
    expect(checkValue(t, '1e-2')).toEqual(ok('0.01'));
    // A JSON number arrives parsed; its shortest text is what the client wrote.
    expect(checkValue(t, 10.99)).toEqual(ok('10.99'));
    expect(checkValue(t, 0.1)).toEqual(ok('0.1'));
    expect(checkValue(t, -0)).toEqual(ok('0'));
    expect(checkValue(t, 1e21)).toEqual(ok(`1${'0'.repeat(21)}`));
    expect(checkValue(t, 'ten')).toEqual(bad);
    expect(checkValue(t, '')).toEqual(bad);
    expect(checkValue(t, Number.NaN)).toEqual(bad);
    expect(checkValue(t, Number.POSITIVE_INFINITY)).toEqual(bad);
    expect(checkValue(t, true)).toEqual(bad);
    expect(checkValue(t, {})).toEqual(bad);
    expect(checkValue(t, ['1'])).toEqual(bad);
  });

  it('keeps decimals exact: no float round trip', () => {
    // As a double this is 0.30000000000000004440892098500626...; as text it must stay as written.
    expect(checkValue('number', '0.3000000000000000444')).toEqual(ok('0.3000000000000000444'));
    expect(checkValue('number', '9007199254740993')).toEqual(ok('9007199254740993'));
    expect(checkValue('currency', '99999999999999999999.99')).toEqual(ok('99999999999999999999.99'));
  });

  it('integer: whole numbers only, canonical', () => {
    expect(checkValue('integer', '42')).toEqual(ok('42'));
    expect(checkValue('integer', '007')).toEqual(ok('7'));
    expect(checkValue('integer', '-0')).toEqual(ok('0'));
    expect(checkValue('integer', '+5')).toEqual(ok('5'));
    expect(checkValue('integer', ' -12 ')).toEqual(ok('-12'));
    expect(checkValue('integer', 42)).toEqual(ok('42'));
    expect(checkValue('integer', '9007199254740993')).toEqual(ok('9007199254740993'));
    for (const v of ['1.5', '1.0', '1e3', '', 'x', 1.5, true, '1'.repeat(201)]) {
      expect(checkValue('integer', v), String(v)).toEqual(bad);
    }
  });

  it('text: any string up to the limit, kept as given', () => {
    expect(checkValue('text', '')).toEqual(ok(''));
    expect(checkValue('text', '  padded  ')).toEqual(ok('  padded  '));
    expect(checkValue('text', 'x'.repeat(TEXT_MAX))).toEqual(ok('x'.repeat(TEXT_MAX)));
    expect(checkValue('text', 'x'.repeat(TEXT_MAX + 1))).toEqual(bad);
    expect(checkValue('text', 5)).toEqual(bad);
    expect(checkValue('text', false)).toEqual(bad);
  });

  it('date: a calendar date, or a date-time whose date part is kept', () => {
    expect(checkValue('date', '2024-02-29')).toEqual(ok('2024-02-29'));
    expect(checkValue('date', '2024-02-29T13:45:00Z')).toEqual(ok('2024-02-29'));
    expect(checkValue('date', '2024-02-29T13:45:00.123+02:00')).toEqual(ok('2024-02-29'));
    expect(checkValue('date', '2024-02-29T13:45')).toEqual(ok('2024-02-29'));
    for (const v of [
      '2023-02-29',
      '2024-13-01',
      '2024-1-01',
      '24-01-01',
      '2024/01/01',
      '2024-01-01 ',
      '2024-01-01x',
      '2024-01-01T',
      '2024-01-01Tgarbage',
      '',
      20240101,
    ]) {
      expect(checkValue('date', v), String(v)).toEqual(bad);
    }
  });

  it('boolean: true/false, 1/0, any case, as text, JSON boolean or number', () => {
    for (const v of [true, 'true', 'TRUE', ' True ', '1', 1])
      expect(checkValue('boolean', v)).toEqual(ok('true'));
    for (const v of [false, 'false', 'False', '0', 0]) expect(checkValue('boolean', v)).toEqual(ok('false'));
    for (const v of ['yes', 'no', '', '2', 2, 't', {}])
      expect(checkValue('boolean', v), String(v)).toEqual(bad);
  });

  it('isNumericType', () => {
    expect(['number', 'percentage', 'currency', 'integer'].every((t) => isNumericType(t as never))).toBe(
      true,
    );
    expect(['text', 'date', 'boolean'].some((t) => isNumericType(t as never))).toBe(false);
  });
});
