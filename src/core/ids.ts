import { v7 } from 'uuid';

// Time-ordered ids: rows are appended at the end of the primary-key b-tree, which keeps
// SQLite inserts several times faster than random UUIDs (see DESIGN.md, measured facts).
export const newId = (): string => v7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
