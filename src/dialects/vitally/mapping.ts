import type { AnalyticsMessage, MessageType } from '../../core/analytics/message-types.ts';
import type { VITALLY_TYPES } from './schemas.ts';

// Vitally's messages are the core's analytics messages with one type spelled differently.

type VitallyType = (typeof VITALLY_TYPES)[number];

const TYPES: Record<VitallyType, MessageType> = {
  organization: 'organization',
  account: 'account',
  user: 'user',
  track: 'track',
  customobjectinstance: 'custom_object_instance',
  unlink: 'unlink',
};

export function toCoreMessages(messages: { type: VitallyType }[]): AnalyticsMessage[] {
  return messages.map((m) => ({ ...m, type: TYPES[m.type] }) as AnalyticsMessage);
}

/** Segment's `{"batch": [...]}` envelope is the same batch as the bare array Vitally documents. */
export function unwrapEnvelope(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const batch = (body as { batch?: unknown }).batch;
    if (Array.isArray(batch)) return batch;
  }
  return body;
}

export const SUCCESS = { message: 'Success.' } as const;
