// What core needs from storage, stated by core (ports). The store implements these
// (src/store/storage.ts builds the object from src/store/repositories/<area>.ts) and maps
// its rows to the domain types core declares; core never imports Kysely, a driver or the
// store's modules.
import type { AccessPorts } from './access.ts';
import type { AnalyticsPorts } from './analytics.ts';
import type { CatalogPorts } from './catalog.ts';
import type { ImportPorts } from './imports.ts';
import type { JobPorts } from './jobs.ts';
import type { PointPorts } from './points.ts';
import type { RollupPorts } from './rollups.ts';

export type { AccessPorts, AnalyticsPorts, CatalogPorts, ImportPorts, JobPorts, PointPorts, RollupPorts };

/**
 * One handle on storage: repositories grouped by area, plus units of work. A Storage made
 * for reads only (`createStorage(store, 'reader')`) reads the last committed state and must
 * not be written through.
 */
export interface Storage
  extends AccessPorts,
    AnalyticsPorts,
    CatalogPorts,
    ImportPorts,
    JobPorts,
    PointPorts,
    RollupPorts {
  /**
   * A write transaction (on SQLite it takes the one writer up front). The Storage passed to
   * `fn` reads and writes within it; a transaction opened inside one joins it.
   */
  transaction<T>(fn: (tx: Storage) => Promise<T>): Promise<T>;
  /**
   * `apply(tx, item)` as a write. On an engine with concurrent writers: a transaction of its
   * own. On a single-writer engine: the items that arrive while a transaction runs share the
   * next one (group commit); if a group fails, each item is retried alone. `apply` must be
   * one stable function (it keys the group).
   */
  writeGrouped<T, R>(apply: (tx: Storage, item: T) => Promise<R>, item: T, maxItems?: number): Promise<R>;
}
