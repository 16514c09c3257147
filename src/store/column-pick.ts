// The store writes only the columns a write names. Callers hand over typed inputs, but a
// cast, a spread body or a future route can still carry extra keys at run time: an UPDATE
// or INSERT built from `pickColumns` can never set a column its list does not name (ids,
// organization, audit fields), whatever the object holds.

/** The listed columns that `input` holds (own properties, not undefined), and nothing else. */
export function pickColumns<T extends object, K extends keyof T & string>(
  input: T,
  columns: readonly K[],
): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const column of columns) {
    if (Object.hasOwn(input, column) && input[column] !== undefined) out[column] = input[column];
  }
  return out;
}

/** Every listed column of each row (a whole row to insert: a missing column is the row's bug, not skipped). */
export function pickRows<T extends object, K extends keyof T & string>(
  rows: readonly T[],
  columns: readonly K[],
): Pick<T, K>[] {
  return rows.map((row) => {
    const out = {} as Pick<T, K>;
    for (const column of columns) out[column] = row[column];
    return out;
  });
}

/**
 * A table's whole column list, checked when compiling: a column added to the table and not
 * to the list is a type error at the list (naming the missing column), so an insert built
 * from it cannot silently drop the new column.
 */
export function everyColumn<Row>() {
  return <const L extends readonly (keyof Row & string)[]>(
    columns: L &
      (Exclude<keyof Row, L[number]> extends never ? unknown : { missing: Exclude<keyof Row, L[number]> }),
  ): L => columns;
}
