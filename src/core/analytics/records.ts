// Analytics as storage holds it (see src/store/migrations/0004-analytics.ts): entities with
// their traits as JSON text, links by external ids, trait history, events.

export interface EntityRecord {
  id: string;
  org_id: string;
  /** organization | account | user | custom_object_instance */
  kind: string;
  external_id: string;
  name: string | null;
  custom_object_id: string | null;
  /** JSON object of the current traits. */
  traits: string;
  /** JSON object: trait key → timestamp of the message that last set or removed it. */
  trait_times: string;
  attrs_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface EntityRef {
  kind: string;
  external_id: string;
}

export interface LinkRecord {
  org_id: string;
  child_kind: string;
  child_external_id: string;
  parent_kind: string;
  parent_external_id: string;
  created_at: string;
}

export type LinkRef = Omit<LinkRecord, 'org_id' | 'created_at'>;

export interface TraitHistoryRecord {
  id: string;
  org_id: string;
  entity_id: string;
  trait_key: string;
  /** JSON text; null when the key was absent. */
  old_value: string | null;
  /** JSON text; null when the key was removed. */
  new_value: string | null;
  changed_at: string;
  recorded_at: string;
  message_id: string | null;
}

export interface EventRecord {
  id: string;
  org_id: string;
  user_id: string;
  account_id: string | null;
  organization_id: string | null;
  event: string;
  /** JSON object. */
  properties: string;
  occurred_at: string;
  /** UTC calendar day of occurred_at. */
  day: string;
  message_id: string | null;
  received_at: string;
}

export interface EventFilter {
  userId?: string;
  /** An account's events: those sent with its id, and its users' sent without one. */
  accountId?: string;
  event?: string;
}
