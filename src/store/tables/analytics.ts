import type {
  EntityRecord,
  EventRecord,
  LinkRecord,
  TraitHistoryRecord,
} from '../../core/analytics/records.ts';

// The analytics tables as Kysely sees them (rows as the store reads and writes them);
// their columns are created by migrations/0004-analytics.ts. Rows core also works with are
// declared once, in core.

export interface AnalyticsTables {
  analytics_entities: EntityRecord;
  analytics_links: LinkRecord;
  analytics_trait_history: TraitHistoryRecord;
  analytics_events: EventRecord;
  analytics_dedup: {
    org_id: string;
    /** Hash of messageId + what the message is about, or of the whole message. */
    key: string;
    processed_at: string;
  };
  /** Events per (org, name, UTC day), maintained with the events (migrations/0006-event-counts.ts). */
  analytics_event_counts: {
    org_id: string;
    event: string;
    day: string;
    count: number;
  };
}
