import type { Normalized } from '../points/point-input.ts';
import type {
  IdentityKey,
  KeysetPage,
  PointFilter,
  PointKeysetFilter,
  PointRecord,
  PointSetFilter,
  RevisionRecord,
  StoredRevision,
} from '../points/point-record.ts';

// Storage operations core needs for data points, revisions and the writer's locks.
export interface PointPorts {
  /**
   * Serializes concurrent holders of the same keys (a setup step, one metric's rollup
   * refresh) until the transaction ends; a no-op on an engine that has one writer at a time.
   * Only within `transaction`. Writers of points lock the points instead (claimPoints).
   */
  lockKeys(keys: string[]): Promise<void>;
  /** The organization's points with these ids, deleted ones included; ids that are no uuid name none. */
  pointsByIds(orgId: string, ids: string[]): Promise<PointRecord[]>;
  /**
   * One metric's points with these identities, deleted ones included; with `lock`, each
   * locked until the transaction ends (where writers are concurrent). Only within `transaction`.
   */
  pointsByIdentity(
    orgId: string,
    metricId: string,
    keys: IdentityKey[],
    opts?: { lock?: boolean },
  ): Promise<PointRecord[]>;
  /**
   * Stores each of these new records whose identity has no point yet, and returns the stored
   * records of the others, locked until the transaction ends where writers are concurrent.
   * Identities distinct. Only within `transaction`.
   */
  claimPoints(rows: PointRecord[]): Promise<PointRecord[]>;
  /**
   * Somewhere to keep a batch's inputs until they are written in identity order, where
   * concurrent writers must lock in one order across a whole transaction (PostgreSQL: a
   * batch written chunk by chunk in file order could deadlock with one written in another
   * order). Undefined where writes run one transaction at a time (SQLite): write as you go.
   * Up to `inMemory` inputs are kept in memory (a batch known to be small); beyond, in the
   * database.
   * Only within `transaction`.
   */
  pointStaging(inMemory: number): PointStaging | undefined;
  /**
   * Writes whole point rows (changed) and the revisions, and marks the months of these and
   * of `claimed` (records claimPoints stored). Only within `transaction`.
   */
  savePoints(rows: PointRecord[], revisions: RevisionRecord[], claimed?: PointRecord[]): Promise<void>;
  /** Current (not deleted) points of a metric, in id order (the cursor's order). */
  listPoints(orgId: string, metricId: string, f: PointFilter): Promise<PointRecord[]>;
  /** The points as they were at `asOf`: each with its last revision's value then (deletes left out). */
  listPointsAsOf(orgId: string, metricId: string, asOf: string, f: PointFilter): Promise<PointRecord[]>;
  /**
   * Current points of a metric in identity order (period start, period end, coordinate key),
   * after `f.after`: an export's pages, each read as a range of the identity index.
   */
  listPointsInIdentityOrder(orgId: string, metricId: string, f: PointKeysetFilter): Promise<KeysetPage>;
  /**
   * The points as they were at `asOf`, in identity order after `f.after` (deletes and points
   * not yet written then left out: a page may be short and not the last; `next` says).
   */
  listPointsAsOfInIdentityOrder(
    orgId: string,
    metricId: string,
    asOf: string,
    f: PointKeysetFilter,
  ): Promise<KeysetPage>;
  /** Current points of several metrics by metric, then date: one page-numbered page. */
  listPointsOffset(orgId: string, f: PointSetFilter, offset: number, limit: number): Promise<PointRecord[]>;
  countPoints(orgId: string, f: PointSetFilter): Promise<number>;
  /** A point's revisions, oldest first. */
  pointRevisions(orgId: string, pointId: string): Promise<StoredRevision[]>;
}

/** A staged input, checked (normalized), and the identity it writes, which orders it. */
export interface StagedInput extends IdentityKey {
  metric_id: string;
  point: Normalized;
}

/** A page of staged inputs still to write, and how many inputs of the page the store wrote itself. */
export interface StagedPage {
  points: Normalized[];
  written: number;
}

/** A batch's inputs kept in the transaction until they are written (PointPorts.pointStaging). */
export interface PointStaging {
  /**
   * Keeps `rows`. An add gives `fresh`: the record an input writes if its identity has no
   * point yet (nextRecord of no point), made only for inputs that go to the database.
   */
  add(rows: StagedInput[], fresh?: (point: Normalized) => PointRecord): Promise<void>;
  /**
   * Every input kept, in identity order (in the order kept within one identity), `size` at a
   * time. With `insert` (adds), the store may write a page's fresh records itself where their
   * identity has no point yet, each with its insert revision (this request or job) and rollup
   * mark, and lock the page's other identities, in identity order as claimPoints does: only
   * the inputs it did not write come back.
   */
  drain(size: number, insert?: { requestId?: string; jobId?: string }): AsyncIterable<StagedPage>;
}
