import type { Kysely, RawBuilder } from 'kysely';
import type { EntityRef, LinkRef } from '../../core/analytics/records.ts';
import type { IdentityKey } from '../../core/points/point-record.ts';
import type { DB } from '../schema.ts';

// Lookups and writes whose fastest form differs per engine beyond the SQL text: SQLite's
// synchronous driver runs one cached prepared statement per key (no SQL to build per
// batch), PostgreSQL sends each kind of change as one set-based statement (a few round
// trips per batch). Implemented in sqlite-queries.ts and postgres-queries.ts.

type PointRow = DB['data_points'];
type EntityRow = DB['analytics_entities'];

export interface EngineQueries {
  /**
   * Existing points of one metric with the given identities (deleted ones included). With
   * `lock`, where writers are concurrent, each is locked until the transaction ends, in the
   * order of `keys`.
   */
  findPointsByIdentity(
    db: Kysely<DB>,
    orgId: string,
    metricId: string,
    keys: IdentityKey[],
    opts?: { lock?: boolean },
  ): Promise<PointRow[]>;
  /** Entities named by `refs`; with `lock`, locked until the transaction ends (where writers are concurrent). */
  findEntitiesByRefs(
    db: Kysely<DB>,
    orgId: string,
    refs: EntityRef[],
    opts: { lock: boolean },
  ): Promise<EntityRow[]>;
  /** external id → metric id, for the given external ids that exist in the organization. */
  metricIdsByExternalId(db: Kysely<DB>, orgId: string, externalIds: string[]): Promise<Map<string, string>>;
  /** Claims message keys; returns those that were new (or whose last use fell out of the window). */
  claimMessageKeys(
    db: Kysely<DB>,
    orgId: string,
    keys: string[],
    at: string,
    cutoff: string,
  ): Promise<Set<string>>;
  /** Removes, per link, the links of its child to any other parent of that kind (run with a write). */
  deleteOtherParents(orgId: string, links: LinkRef[]): DeferredStatement[];
  /** Removes the links named (run with a write). */
  deleteLinks(orgId: string, links: LinkRef[]): DeferredStatement[];
}

/**
 * A statement built now and run with others (EngineOps.insertRowsTogether): `sql` where the
 * engine joins it to the others' one statement (PostgreSQL), else `run`.
 */
export interface DeferredStatement {
  readonly sql?: RawBuilder<unknown>;
  run(db: Kysely<DB>): Promise<void>;
}
