import type { FieldIssue } from '../errors.ts';
import { Invalid } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { messageKey } from './message-keys.ts';
import { type AnalyticsMessage, type JsonObject, MESSAGE_TYPES, type MessageType } from './message-types.ts';

// Analytics messages as the core takes them: Segment-style field names (the shape every
// analytics wire format shares), with the core's own type names. A dialect maps its type
// names onto these; the field names it reports errors with are the same.

/** A validated message, with the time it speaks for and its deduplication key. */
export interface CheckedMessage {
  index: number;
  message: AnalyticsMessage;
  /** ISO-8601 UTC: the message's timestamp, or the time the batch was received. */
  at: string;
  key: string;
}

type Field = 'organizationId' | 'accountId' | 'userId' | 'event' | 'externalId' | 'customObjectId' | 'name';

// What each type must carry (DIALECTS.md: a field without `?` is required).
const REQUIRED_IDS: Record<MessageType, Field[]> = {
  organization: ['organizationId'],
  account: ['accountId'],
  user: ['userId'],
  custom_object_instance: ['externalId', 'customObjectId', 'name'],
  track: ['userId', 'event'],
  unlink: ['userId'],
};
const OPTIONAL_IDS: Field[] = ['organizationId', 'accountId', 'userId', 'externalId', 'customObjectId'];
const REQUIRED_OBJECT: Record<MessageType, 'traits' | 'properties' | null> = {
  organization: 'traits',
  account: 'traits',
  user: 'traits',
  custom_object_instance: 'traits',
  track: 'properties',
  unlink: null,
};

export const isJsonObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `2018-05-15T12:31:12.123Z` (or any offset) → the same instant as ISO-8601 UTC, or null. */
export function normalizeTimestamp(raw: string): string | null {
  // Date.parse also takes loose forms ("May 15 2018"): only ISO-8601 date-times are accepted.
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(raw)) return null;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) return null;
  const iso = new Date(ms).toISOString();
  // Years past 9999 print as +010000-…, which would not sort as text.
  return iso.length === 24 ? iso : null;
}

const TYPE_SET: ReadonlySet<string> = new Set(MESSAGE_TYPES);
const STRING_FIELDS: readonly Field[] = [...OPTIONAL_IDS, 'event', 'name'];

// A module-level function, not a closure per message: the checks run for every message of
// every batch.
function addIssue(issues: FieldIssue[], i: number, field: string, message: string, code: string): void {
  issues.push({ field: `[${i}].${field}`, path: [i, field], message, code });
}

function checkMessage(
  m: AnalyticsMessage,
  i: number,
  issues: FieldIssue[],
  instant: (raw: string) => string | null,
): void {
  if (!isJsonObject(m)) {
    issues.push({ field: `[${i}]`, path: [i], message: 'must be an object', code: 'type' });
    return;
  }
  if (!TYPE_SET.has(m.type)) {
    addIssue(issues, i, 'type', `must be one of ${MESSAGE_TYPES.join(', ')}`, 'enum');
    return;
  }
  for (const field of REQUIRED_IDS[m.type]) {
    if (m[field] === undefined || m[field] === null) addIssue(issues, i, field, 'required', 'required');
  }
  for (const field of STRING_FIELDS) {
    const v = m[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v.length === 0)
      addIssue(issues, i, field, 'must be a non-empty string', 'type');
    else if (v.length > LIMITS.externalIdMax)
      addIssue(issues, i, field, `must be at most ${LIMITS.externalIdMax} characters`, 'maxLength');
  }
  if (m.type === 'unlink' && m.accountId == null && m.organizationId == null) {
    addIssue(issues, i, 'accountId', 'an unlink needs accountId or organizationId', 'required');
  }
  const objectField = REQUIRED_OBJECT[m.type];
  if (objectField && m[objectField] == null) addIssue(issues, i, objectField, 'required', 'required');
  if (m.traits != null && !isJsonObject(m.traits)) addIssue(issues, i, 'traits', 'must be an object', 'type');
  if (m.properties != null && !isJsonObject(m.properties))
    addIssue(issues, i, 'properties', 'must be an object', 'type');
  if (m.messageId != null && (typeof m.messageId !== 'string' || m.messageId.length === 0)) {
    addIssue(issues, i, 'messageId', 'must be a non-empty string', 'type');
  }
  if (m.timestamp != null && (typeof m.timestamp !== 'string' || !instant(m.timestamp))) {
    addIssue(issues, i, 'timestamp', 'must be an ISO-8601 date-time', 'format');
  }
}

/**
 * Validates the whole batch before anything is applied: one bad message rejects the batch,
 * and every issue names the message's index and the field.
 */
export function checkBatch(
  messages: AnalyticsMessage[],
  maxBatch: number,
  receivedAt: string,
): CheckedMessage[] {
  if (messages.length > maxBatch) {
    throw new Invalid(
      [
        {
          field: 'batch',
          path: [],
          message: `must NOT have more than ${maxBatch} items`,
          code: 'maxItems',
        },
      ],
      true,
    );
  }
  // The messages of one batch mostly share a few timestamps: each is parsed once.
  const times = new Map<string, string | null>();
  const instant = (raw: string) => {
    let at = times.get(raw);
    if (at === undefined) {
      at = normalizeTimestamp(raw);
      times.set(raw, at);
    }
    return at;
  };
  const issues: FieldIssue[] = [];
  for (let i = 0; i < messages.length; i++) checkMessage(messages[i], i, issues, instant);
  if (issues.length) throw new Invalid(issues, true);
  return messages.map((message, index) => ({
    index,
    message,
    at: message.timestamp ? (instant(message.timestamp) as string) : receivedAt,
    key: messageKey(message),
  }));
}
