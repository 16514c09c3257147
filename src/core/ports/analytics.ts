import type {
  EntityRecord,
  EntityRef,
  EventFilter,
  EventRecord,
  LinkRecord,
  LinkRef,
  TraitHistoryRecord,
} from '../analytics/records.ts';
import type { Granularity } from '../analytics/series.ts';

/** What a batch writes at one point of its transaction (AnalyticsPorts.writeRecords). */
export interface AnalyticsWrites {
  /** Each a child's one parent of its kind: the child's links to other parents of that kind are deleted. */
  linkMoves?: LinkRef[];
  /** Deleted. */
  linkRemoves?: LinkRef[];
  /** Inserted; a link that exists already is kept. */
  links?: LinkRecord[];
  events?: EventRecord[];
  /** Upserted: new ones inserted, the mutable columns of existing ones overwritten. */
  entities?: EntityRecord[];
  traitHistory?: TraitHistoryRecord[];
  /**
   * New events added to their (name, day) counts: only events not stored before
   * (deduplication comes first), in the transaction that inserts them.
   */
  eventCounts?: EventRecord[];
}

// Storage operations core needs for Vitally analytics: entities, traits, links, events and
// the message keys already applied.
export interface AnalyticsPorts {
  /**
   * True when several transactions may write at once (then a batch creates missing
   * entities first and reads them locked); false on a single-writer engine.
   */
  readonly concurrentWriters: boolean;

  /** The keys among `keys` not applied since `cutoff`, now claimed at `at`. */
  claimMessageKeys(orgId: string, keys: string[], at: string, cutoff: string): Promise<Set<string>>;
  /** Forgets keys claimed before `cutoff`. */
  pruneMessageKeys(orgId: string, cutoff: string): Promise<void>;

  /** Inserts the entities that do not exist yet; existing ones are left as they are. */
  insertEntityStubs(rows: EntityRecord[]): Promise<void>;
  /** `lock`: read them FOR UPDATE (engines with concurrent writers). */
  findEntitiesByRefs(orgId: string, refs: EntityRef[], opts: { lock: boolean }): Promise<EntityRecord[]>;
  /** Writes the records given (for the organization `orgId`), as one statement where the engine can. */
  writeRecords(orgId: string, w: AnalyticsWrites): Promise<void>;

  listEntities(
    orgId: string,
    filter: { kind?: string; after?: string; limit: number },
  ): Promise<EntityRecord[]>;
  findEntity(orgId: string, kind: string, externalId: string): Promise<EntityRecord | undefined>;
  listLinks(
    orgId: string,
    ref: EntityRef,
    direction: 'parents' | 'children',
    limit: number,
  ): Promise<{ kind: string; external_id: string; created_at: string }[]>;
  listTraitHistory(orgId: string, entityId: string, limit: number): Promise<TraitHistoryRecord[]>;
  /** Events in (occurred_at, id) order, from `from` (inclusive) to `to` (exclusive). */
  listEvents(
    orgId: string,
    filter: EventFilter & { from?: string; to?: string; after?: { at: string; id: string }; limit: number },
  ): Promise<EventRecord[]>;
  /**
   * Event counts per event name and day, ISO week or month (UTC) of the days from `fromDay`
   * to `toDay` inclusive, ordered by name then bucket; buckets without events are absent.
   * Exact, and current as of the last commit, whatever the filter; without a user or account
   * filter they come from counts kept with the events, in milliseconds at any volume.
   */
  countEvents(
    orgId: string,
    filter: EventFilter & { fromDay?: string; toDay?: string; granularity: Granularity },
  ): Promise<{ event: string; period_start: string; n: number }[]>;
}
