import { describe, expect, it } from 'vitest';
import { preference } from '../../src/http/prefer.ts';

describe('Prefer header (RFC 7240)', () => {
  it.each([
    ['return=minimal', 'minimal'],
    ['RETURN = "minimal"', 'minimal'],
    ['handling=strict, return=minimal', 'minimal'],
    ['return=minimal; foo="a,b"', 'minimal'],
    // the first of two wins
    ['return=representation, return=minimal', 'representation'],
    [['respond-async', 'return=minimal'], 'minimal'],
  ])('%j → return is %j', (header, expected) => {
    expect(preference(header, 'return')).toBe(expected);
  });

  it.each([
    // after ";" it is a parameter of another preference, not a preference of its own
    'respond-async; return=minimal',
    'wait=5;return=minimal',
    // inside a quoted string it is text
    'foo="x, return=minimal"',
    'returned=minimal',
    '',
  ])('%j has no return preference', (header) => {
    expect(preference(header, 'return')).toBeUndefined();
  });

  it('a preference without a value is present with an empty one', () => {
    expect(preference('respond-async, wait=10', 'respond-async')).toBe('');
    expect(preference(undefined, 'return')).toBeUndefined();
  });
});
