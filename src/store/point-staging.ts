import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Normalized } from '../core/points/point-input.ts';
import type { PointRecord } from '../core/points/point-record.ts';
import type { PointStaging, StagedInput, StagedPage } from '../core/ports/points.ts';
import type { Store } from './database.ts';
import type { StagedInsert, StagingTable } from './engine/types.ts';
import { compareIdentity } from './points.ts';
import type { DB } from './schema.ts';

// core's PointStaging: a batch's checked inputs are kept in memory and sorted there, up to the
// number its caller allows (a Workiva batch of 10 MB is about 77,000 values); beyond that, or
// for a file of unknown length, they go to the engine's staging table, each as JSON text (a
// normalized input holds strings, numbers, null, arrays and plain objects), read back in the
// same order by the database. They were checked when staged and are not checked again. Kept
// in memory, a batch costs no statement and no JSON; a file goes to the table from its first
// row (holding its first 100,000 rows in memory first cost a 1M-row import 38 MB of peak RSS
// and 7 % of its time).

/** An input kept in memory, with the maker of its fresh record (an add's). */
interface Kept extends StagedInput {
  fresh?: (point: Normalized) => PointRecord;
}

export function pointStaging(store: Store, db: Kysely<DB>, inMemory: number): PointStaging | undefined {
  const table = store.engine.staging(db);
  if (!table) return undefined;
  let kept: Kept[] | undefined = [];
  // One insert running and the next one built: the chunk after it is parsed and checked
  // while the last is stored.
  let storing: Promise<void> = Promise.resolve();
  const spill = (rows: Kept[], fresh?: (point: Normalized) => PointRecord) => {
    const staged = rows.map((r) => ({
      metric_id: r.metric_id,
      period_start: r.period_start,
      period_end: r.period_end,
      coord_key: r.coord_key,
      point: r.point,
      // Kept rows carry their own (made when they were staged).
      fresh: (r.fresh ?? fresh)?.(r.point),
    }));
    const previous = storing;
    storing = table.add(staged, previous);
    storing.catch(() => {}); // awaited by the next add or the drain; never unhandled meanwhile
    return previous;
  };
  return {
    async add(rows, fresh) {
      if (kept && kept.length + rows.length <= inMemory) {
        for (const r of rows) kept.push(fresh ? { ...r, fresh } : r);
        return;
      }
      // Past what it may keep in memory: what it kept goes to the table first.
      if (kept) {
        await spill(kept, fresh);
        kept = undefined;
      }
      await spill(rows, fresh);
    },
    async *drain(size, insert) {
      const stamp = insert && {
        requestId: insert.requestId ?? null,
        jobId: insert.jobId ?? null,
        markedAt: new Date().toISOString(),
      };
      if (kept) {
        const sorted = kept.sort(compareIdentity);
        kept = undefined;
        yield* drainKept(table, sorted, size, stamp);
        return;
      }
      await storing;
      for await (const page of table.drain(size, stamp))
        yield { points: page.points.map((text) => JSON.parse(text) as Normalized), written: page.written };
    },
  };
}

/**
 * A batch kept in memory, drained as the table's drain does: with `insert`, each page's fresh
 * records are claimed in one statement (store/engine: claimFresh), with their revisions and
 * marks, and only the inputs not written come back. The next page's statement is built while
 * the last one runs (issue 14: Workiva batches, ~40 % of a piece's time was two round trips
 * and Node's part between them, with PostgreSQL idle).
 *
 * Array.prototype.sort is stable: one identity's inputs stay in the order given. A page ends
 * with its last identity (it may run past `size` for that), so pages hold disjoint identities.
 */
async function* drainKept(
  table: StagingTable,
  sorted: Kept[],
  size: number,
  insert: StagedInsert | undefined,
): AsyncGenerator<StagedPage> {
  // A batch that rewrites points it wrote before (a script sending a metric's whole history
  // again) finds its identities taken: they come back to be claimed by the writer anyway, so
  // the claim here would be a second statement for nothing. Once most of a page's were taken,
  // the pages after it of the same metric go to the writer whole, as a page without `insert`
  // does; a page starting another metric claims again.
  let rewritten: string | undefined;
  const pageAt = (start: number) => {
    let end = Math.min(start + size, sorted.length);
    while (end < sorted.length && compareIdentity(sorted[end - 1], sorted[end]) === 0) end++;
    const rows = sorted.slice(start, end);
    // Each identity's first input makes its record, if it has none yet.
    const firsts = rows.flatMap((r, i) =>
      r.fresh && (i === 0 || compareIdentity(rows[i - 1], r) !== 0) ? [i] : [],
    );
    const claim =
      insert && rows[0].metric_id !== rewritten && firsts.length > 0
        ? table.claimFresh(
            firsts.map((i) => rows[i].fresh?.(rows[i].point) as PointRecord),
            insert,
          )
        : undefined;
    return { rows, firsts, claim, end };
  };
  for (let page = sorted.length > 0 ? pageAt(0) : undefined; page; ) {
    const { rows, firsts, claim, end } = page;
    if (!claim) {
      yield { points: rows.map((r) => r.point), written: 0 };
      page = end < sorted.length ? pageAt(end) : undefined;
      continue;
    }
    const running = claim();
    running.catch(() => {}); // awaited below; never unhandled meanwhile
    // The next statement is built once this one is on its way (the query is sent on later
    // turns of the microtask queue).
    await nextTurn();
    page = end < sorted.length ? pageAt(end) : undefined;
    const taken = new Set((await running).map((p) => firsts[p]));
    if (taken.size * 2 > firsts.length) rewritten = rows[rows.length - 1].metric_id;
    const written = new Set(firsts.filter((i) => !taken.has(i)));
    yield { points: rows.flatMap((r, i) => (written.has(i) ? [] : [r.point])), written: written.size };
  }
}
