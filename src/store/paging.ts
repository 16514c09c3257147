// Cursor pagination over time-ordered ids: the cursor is the last id seen, opaque to
// clients (base64url), so the order is stable while rows are added.
export function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  return Buffer.from(cursor, 'base64url').toString('utf8');
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
