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
   * Serializes concurrent writers of the same keys (metric ids) until the transaction
   * ends; a no-op on an engine that has one writer at a time. Only within `transaction`.
   */
  lockKeys(keys: string[]): Promise<void>;
  /** The organization's points with these ids, deleted ones included; ids that are no uuid name none. */
  pointsByIds(orgId: string, ids: string[]): Promise<PointRecord[]>;
  /** One metric's points with these identities, deleted ones included. */
  pointsByIdentity(orgId: string, metricId: string, keys: IdentityKey[]): Promise<PointRecord[]>;
  /** Writes whole point rows (new or changed) and their revisions. Only within `transaction`. */
  savePoints(rows: PointRecord[], revisions: RevisionRecord[]): Promise<void>;
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
