import type { BulkInsert } from './types.ts';

/**
 * The SET list of an upsert's DO UPDATE, as SQL text both engines read the same: columns
 * overwritten from the new row, then counters added to. Empty when there is nothing to set
 * (DO NOTHING). Names come from module constants (BulkInsert specs), never from input.
 */
export function conflictSets(spec: BulkInsert<unknown>): string {
  const c = spec.conflict;
  return [
    ...(c?.update ?? []).map((col) => `${col} = excluded.${col}`),
    ...(c?.add ?? []).map((col) => `${col} = ${spec.table}.${col} + excluded.${col}`),
  ].join(', ');
}
