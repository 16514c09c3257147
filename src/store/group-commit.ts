import type { Kysely } from 'kysely';
import type { Store } from './database.ts';
import type { DB } from './schema.ts';
import { writeTransaction } from './transactions.ts';

/**
 * Group commit for single-writer engines. SQLite runs one write transaction at a time, and
 * much of a transaction's cost (the commit, the pages every batch touches: table ends,
 * ordered indexes, hot rows) does not grow with its size. So the items that arrive while
 * one transaction is being written are applied together, in arrival order, in the next one.
 * An idle writer starts after the current turn of the event loop (setImmediate): the
 * requests whose bodies arrived in the same turn join the first group instead of each
 * starting a transaction of its own (on SQLite a transaction runs without yielding to I/O).
 * Grouping adds no other wait; it forms under load.
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
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
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
