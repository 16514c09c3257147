// PostgreSQL stores no NUL character in text or jsonb, so a NUL anywhere in an input is
// refused on both engines, before any write: in an import row it is a row error naming
// the line (never a database error retried until the job ends "internal error").

export const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

/** Whether any string (value or key) inside `value` contains a NUL. Iterative: any depth. */
export function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(item);
      }
    }
  }
  return false;
}
