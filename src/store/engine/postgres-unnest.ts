import { type RawBuilder, sql } from 'kysely';
import pg from 'pg';

// Rows sent to PostgreSQL as one parameter per column, whatever their number: an array of the
// rows' values, or the value itself when every row holds the same one. A write's chunk shares
// its organization, often its metric, its actor, request and times: sent once instead of once
// per row, they no longer make most of the bytes pg serializes into array literals and
// PostgreSQL parses back (issue 14).

// node-postgres turns an array parameter into PostgreSQL's array text when it sends the
// statement, and on a transaction's connection a statement is sent only once the one before
// has answered: PostgreSQL sat idle while Node wrote the 1,000-row arrays of the next claim
// (2–3.5 ms a piece of ~40, traced on the Workiva bench; issue 14). The same function of
// node-postgres makes the text here, when the statement is built (while the one before runs),
// so what is sent is byte for byte what it sent before.
const { prepareValue } = (pg as unknown as { utils: { prepareValue(value: unknown): string } }).utils;

/** `values` as an array parameter of PostgreSQL type `kind`, its text made now. */
function arrayOf(values: unknown[], kind: RawBuilder<unknown>) {
  return sql`${prepareValue(values)}::${kind}[]`;
}

/** A row source's columns: each either a column of `r` (from an array) or a constant. */
export interface FoldedColumns {
  /** The columns that come from arrays, in the order of `sources`. */
  names: string[];
  /** `unnest(array)` per name, for a `ROWS FROM (…)`. */
  sources: RawBuilder<unknown>[];
  /** One expression per column asked for, named after it. */
  select: RawBuilder<unknown>[];
}

/** `columns` folded: `valuesOf(c)` gives the rows' values of column `c`. */
export function foldColumns<C extends string>(
  columns: readonly C[],
  kinds: Readonly<Record<string, string>>,
  valuesOf: (c: C) => unknown[],
): FoldedColumns {
  const folded: FoldedColumns = { names: [], sources: [], select: [] };
  for (const c of columns) {
    const values = valuesOf(c);
    const first = values[0];
    const kind = sql.raw(kinds[c]);
    if (values.every((v) => v === first)) {
      folded.select.push(sql`${first}::${kind} as ${sql.raw(c)}`);
    } else {
      folded.names.push(c);
      folded.sources.push(sql`unnest(${arrayOf(values, kind)})`);
      folded.select.push(sql.raw(`r.${c}`));
    }
  }
  return folded;
}

/**
 * `rows` as a SELECT of `columns` (in that order) over unnest, folded as above.
 * `ordinality`: a column `ord` more numbers the rows in their order.
 */
export function unnestedRows<T>(
  columns: readonly string[],
  kinds: Readonly<Record<string, string>>,
  rows: T[],
  ordinality = false,
) {
  const values = rows as Record<string, unknown>[];
  const f = foldColumns(columns, kinds, (c) => values.map((r) => r[c]));
  // unnest needs one array to make the rows from, even when every column is the same.
  if (f.names.length === 0) {
    f.names.push(columns[0]);
    f.sources.push(
      sql`unnest(${arrayOf(
        values.map((r) => r[columns[0]]),
        sql.raw(kinds[columns[0]]),
      )})`,
    );
    f.select[0] = sql.raw(`r.${columns[0]}`);
  }
  const from = sql`rows from (${sql.join(f.sources)})`;
  return ordinality
    ? sql`select ${sql.join(f.select)}, r.ord from ${from} with ordinality as r(${sql.raw(f.names.join(', '))}, ord)`
    : sql`select ${sql.join(f.select)} from ${from} as r(${sql.raw(f.names.join(', '))})`;
}
