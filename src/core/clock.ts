// One clock for every row written: ISO-8601 UTC with milliseconds, which sorts as text on
// SQLite and is accepted as is by PostgreSQL's timestamptz.
export const now = (): string => new Date().toISOString();
