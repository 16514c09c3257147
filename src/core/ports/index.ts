// What core needs from storage, stated by core (ports). The store implements these
// (src/store/storage.ts builds the object) and maps its rows to the domain types core
// declares; core never imports Kysely, a driver or the store's modules.
import type { AccessPorts } from './access.ts';
import type { AnalyticsPorts } from './analytics.ts';
import type { CatalogPorts } from './catalog.ts';
import type { JobPorts } from './jobs.ts';
import type { PointPorts } from './points.ts';

export type { AccessPorts, AnalyticsPorts, CatalogPorts, JobPorts, PointPorts };

/**
 * One handle on storage: repositories grouped by area, plus a unit of work. Inside
 * `transaction`, the Storage passed to `fn` reads and writes within that one transaction.
 */
export interface Storage extends AccessPorts, AnalyticsPorts, CatalogPorts, JobPorts, PointPorts {
  transaction<T>(fn: (tx: Storage) => Promise<T>): Promise<T>;
}
