import { sql } from 'kysely';

/**
 * `rows` as a SELECT of `columns` (in that order) over unnest: each column one parameter
 * whatever the number of rows, an array of the rows' values, or the value itself when every
 * row holds the same one. A write's chunk shares its organization, often its metric, its
 * actor, request and times: sent once instead of once per row, they no longer make most of
 * the bytes pg serializes into array literals and PostgreSQL parses back (issue 14).
 * `ordinality`: a column `ord` more numbers the rows in their order.
 */
export function unnestedRows<T>(
  columns: readonly string[],
  kinds: Readonly<Record<string, string>>,
  rows: T[],
  ordinality = false,
) {
  const values = rows as Record<string, unknown>[];
  const first = values[0];
  const varying = columns.filter((c) => values.some((r) => r[c] !== first[c]));
  // unnest needs one array to make the rows from, even when every column is the same.
  if (varying.length === 0) varying.push(columns[0]);
  const arrays = sql.join(varying.map((c) => sql`${values.map((r) => r[c])}::${sql.raw(kinds[c])}[]`));
  const select = sql.join(
    columns.map((c) =>
      varying.includes(c) ? sql`r.${sql.raw(c)}` : sql`${first[c]}::${sql.raw(kinds[c])} as ${sql.raw(c)}`,
    ),
  );
  return ordinality
    ? sql`select ${select}, r.ord from unnest(${arrays}) with ordinality as r(${sql.raw(varying.join(', '))}, ord)`
    : sql`select ${select} from unnest(${arrays}) as r(${sql.raw(varying.join(', '))})`;
}
