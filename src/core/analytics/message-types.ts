// The shape of an analytics message as the core takes it: Segment-style field names, the
// core's own type names. Apart from messages.ts (which checks them) so the message key
// (message-keys.ts) can read a message without a cycle.

export const ENTITY_KINDS = ['organization', 'account', 'user', 'custom_object_instance'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const MESSAGE_TYPES = [...ENTITY_KINDS, 'track', 'unlink'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export type JsonObject = Record<string, unknown>;

export interface AnalyticsMessage {
  type: MessageType;
  messageId?: string;
  timestamp?: string;
  organizationId?: string;
  accountId?: string;
  userId?: string;
  traits?: JsonObject;
  event?: string;
  properties?: JsonObject;
  externalId?: string;
  customObjectId?: string;
  name?: string;
  /** Other Segment fields (context, anonymousId, sentAt…) are kept for the message's hash. */
  [extra: string]: unknown;
}
