import type { Kysely } from 'kysely';
import type { Store } from './database.ts';
import type { DB } from './schema.ts';
import { writeTransaction } from './transactions.ts';

/**
 * Group commit for single-writer engines. SQLite runs one write transaction at a time, and
 * much of a transaction's cost (the commit, the pages every batch touches: table ends,
 * ordered indexes, hot rows) does not grow with its size. So the items that arrive while
 * one transaction is being written are applied together, in arrival order, in the next one.
 * An idle writer starts at once: grouping adds no wait, it only forms under load.
 *
 * If a group fails, each of its items is retried in a transaction of its own, so one bad
 * item fails alone and the others still land (all-or-nothing holds per item).
 */
export class GroupCommit<T, R> {
  private readonly queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private draining = false;

  constructor(
    private readonly store: Store,
    private readonly apply: (trx: Kysely<DB>, item: T) => Promise<R>,
    /** Most items in one transaction (it holds the writer, and the event loop on SQLite). */
    private readonly maxItems = 32,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.maxItems);
        try {
          const results = await writeTransaction(this.store, async (trx) => {
            const out: R[] = [];
            for (const g of group) out.push(await this.apply(trx, g.item));
            return out;
          });
          for (let i = 0; i < group.length; i++) group[i].resolve(results[i]);
        } catch (e) {
          if (group.length === 1) {
            group[0].reject(e);
            continue;
          }
          for (const g of group) {
            try {
              g.resolve(await writeTransaction(this.store, (trx) => this.apply(trx, g.item)));
            } catch (err) {
              g.reject(err);
            }
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
