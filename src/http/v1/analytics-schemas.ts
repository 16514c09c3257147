import { Type } from '@sinclair/typebox';
import { DEFAULT_TOP_EVENTS, MAX_TOP_EVENTS } from '../../core/analytics/events.ts';
import { ENTITY_KINDS } from '../../core/analytics/message-types.ts';
import { GRANULARITIES } from '../../core/analytics/series.ts';
import { LIMITS } from '../../core/limits.ts';
import { Nullable, StringEnum } from '../schema-helpers.ts';
import { PageQuery, pageOf, Timestamp, Uuid } from './schemas.ts';

// Schemas of the native analytics reads: entities with their traits, links and trait
// history, and tracked events.

export const EntityType = StringEnum(ENTITY_KINDS);
const ExternalId = Type.String({ minLength: 1, maxLength: LIMITS.externalIdMax });
const Json = Type.Object({}, { additionalProperties: true });

const EntityFields = {
  id: Uuid,
  type: EntityType,
  external_id: Type.String(),
  name: Nullable(Type.String()),
  custom_object_id: Nullable(Type.String()),
  traits: Json,
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const Entity = Type.Object(EntityFields);
export const EntityPage = pageOf(Entity);

const LinkedEntity = Type.Object({ type: EntityType, external_id: Type.String(), linked_at: Timestamp });

export const EntityDetail = Type.Object({
  ...EntityFields,
  trait_timestamps: Type.Record(Type.String(), Timestamp),
  links: Type.Object({ parents: Type.Array(LinkedEntity), children: Type.Array(LinkedEntity) }),
  trait_history: Type.Array(
    Type.Object({
      key: Type.String(),
      old_value: Type.Unknown(),
      new_value: Type.Unknown(),
      removed: Type.Boolean(),
      changed_at: Timestamp,
      recorded_at: Timestamp,
      message_id: Nullable(Type.String()),
    }),
    { description: 'Newest change first' },
  ),
});

export const EntityListQuery = Type.Object({ type: Type.Optional(EntityType), ...PageQuery });
export const EntityParams = Type.Object({ type: EntityType, external_id: ExternalId });
export const EntityQuery = Type.Object({
  history_limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

const EventFilter = {
  user_id: Type.Optional(ExternalId),
  account_id: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: LIMITS.externalIdMax,
      description: "Events sent with this accountId, and those of the account's users sent without one",
    }),
  ),
};

export const EventListQuery = Type.Object({
  ...EventFilter,
  event: Type.Optional(ExternalId),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
  ...PageQuery,
});

export const Event = Type.Object({
  id: Uuid,
  event: Type.String(),
  user_id: Type.String(),
  account_id: Nullable(Type.String()),
  organization_id: Nullable(Type.String()),
  properties: Json,
  timestamp: Timestamp,
  received_at: Timestamp,
  message_id: Nullable(Type.String()),
});
export const EventPage = pageOf(Event);

export const EventCountQuery = Type.Object({
  ...EventFilter,
  event: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: LIMITS.externalIdMax,
      description: 'The event to count; without it, every event, and a series per event name',
    }),
  ),
  granularity: Type.Optional(StringEnum(GRANULARITIES, { default: 'day' })),
  from: Type.Optional(Type.String({ format: 'date', description: 'First UTC day, inclusive' })),
  to: Type.Optional(Type.String({ format: 'date', description: 'Last UTC day, inclusive' })),
  top: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_TOP_EVENTS,
      default: DEFAULT_TOP_EVENTS,
      description:
        'Without `event`: how many event names get a series of their own (the largest totals in the range, then by name); the rest are summed in `other`',
    }),
  ),
});

const CountSeries = Type.Array(
  Type.Object({
    period_start: Type.String({
      format: 'date',
      description: 'First day of the bucket (weeks start on Monday)',
    }),
    count: Type.Integer(),
  }),
);

export const EventCounts = Type.Object({
  event: Nullable(Type.String({ description: 'The event counted; null when every event is' })),
  granularity: StringEnum(GRANULARITIES),
  total: Type.Integer(),
  series: CountSeries,
  events: Type.Optional(
    Type.Array(Type.Object({ event: Type.String(), total: Type.Integer(), series: CountSeries }), {
      description: 'Without `event`: one series per event name, the `top` names by total',
    }),
  ),
  other: Type.Optional(
    Nullable(
      Type.Object(
        {
          events: Type.Integer({ description: 'How many event names are summed here' }),
          total: Type.Integer(),
          series: CountSeries,
        },
        { description: 'Without `event`: the names beyond `top`, summed; null when there are none' },
      ),
    ),
  ),
});
