// The analytics tables as Kysely sees them (rows as the store reads and writes them);
// their columns are created by migrations/0004-analytics.ts.

export interface AnalyticsTables {
  analytics_entities: {
    id: string;
    org_id: string;
    /** organization | account | user | custom_object_instance */
    kind: string;
    external_id: string;
    /** Custom object instances only: their name and the custom object they belong to. */
    name: string | null;
    custom_object_id: string | null;
    /** JSON object of the current traits. */
    traits: string;
    /** JSON object: trait key → ISO timestamp of the message that last set or removed it. */
    trait_times: string;
    /** Timestamp of the message that last set name / custom_object_id. */
    attrs_at: string | null;
    created_at: string;
    updated_at: string;
  };
  analytics_links: {
    org_id: string;
    child_kind: string;
    child_external_id: string;
    parent_kind: string;
    parent_external_id: string;
    created_at: string;
  };
  analytics_trait_history: {
    id: string;
    org_id: string;
    entity_id: string;
    trait_key: string;
    /** JSON text; NULL when the key was absent. */
    old_value: string | null;
    /** JSON text; NULL when the key was removed. */
    new_value: string | null;
    /** The message's timestamp. */
    changed_at: string;
    recorded_at: string;
    message_id: string | null;
  };
  analytics_events: {
    id: string;
    org_id: string;
    user_id: string;
    account_id: string | null;
    organization_id: string | null;
    event: string;
    /** JSON object. */
    properties: string;
    occurred_at: string;
    /** UTC calendar day of occurred_at: the unit the counts are grouped by, on both engines. */
    day: string;
    message_id: string | null;
    received_at: string;
  };
  analytics_dedup: {
    org_id: string;
    /** Hash of messageId + what the message is about, or of the whole message. */
    key: string;
    processed_at: string;
  };
}

/** An analytics entity named by the customer's own id. */
export interface EntityRef {
  kind: string;
  external_id: string;
}
/** A link between two entities, without its bookkeeping columns. */
export type LinkRef = Omit<AnalyticsTables['analytics_links'], 'org_id' | 'created_at'>;
