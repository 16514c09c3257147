import { Invalid } from './errors.ts';

// Cursor pagination over time-ordered ids: the cursor is the last id seen, opaque to
// clients (base64url), so the order is stable while rows are added. A listing with more than
// one order tags its cursors with the order (`period:<id>`), so a cursor handed back with
// another order is refused rather than read as a position in the wrong sequence.
export function encodeCursor(id: string, order?: string): string {
  return Buffer.from(order ? `${order}:${id}` : id).toString('base64url');
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A cursor that is not one we gave out is the client's mistake (400), never a query error. */
export function decodeCursor(cursor: string | undefined, order?: string): string | undefined {
  if (!cursor) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = order ? `${order}:` : '';
  const id = text.startsWith(prefix) ? text.slice(prefix.length) : '';
  if (!ID.test(id)) {
    throw new Invalid(
      [{ field: 'cursor', message: 'is not a valid cursor', in: 'query', path: ['cursor'] }],
      true,
    );
  }
  return id;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Takes `limit + 1` rows and turns the extra one into the next cursor. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const next = rows.length > limit ? encodeCursor(items[items.length - 1].id) : null;
  return { items, next_cursor: next };
}
