// Multi-row statements are the fast path on both engines, but each engine caps the bind
// parameters of one statement (EngineOps.maxParams): rows are sent in the largest chunks
// that fit.

export function rowChunks<T>(rows: T[], paramsPerRow: number, maxParams: number): T[][] {
  const size = Math.max(1, Math.floor((maxParams - 16) / paramsPerRow));
  if (rows.length <= size) return rows.length ? [rows] : [];
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
