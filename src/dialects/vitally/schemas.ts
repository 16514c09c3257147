import { Type } from '@sinclair/typebox';
import { LIMITS } from '../../core/limits.ts';
import { Nullable, StringEnum } from '../../http/schema-helpers.ts';

// Vitally's analytics batch, as its seed documents it: a JSON array of messages, each with a
// `type`. Which fields a type requires is a rule of the core (checked for the whole batch
// before anything is applied); here each field only gets its JSON type. Other Segment
// fields (context, anonymousId, sentAt…) are accepted and ignored.

export const VITALLY_TYPES = [
  'organization',
  'account',
  'user',
  'track',
  'customobjectinstance',
  'unlink',
] as const;

const Id = Type.String({ minLength: 1, maxLength: LIMITS.externalIdMax });
const Bag = Type.Object({}, { additionalProperties: true });

export const Message = Type.Object(
  {
    type: StringEnum(VITALLY_TYPES),
    messageId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.externalIdMax })),
    timestamp: Type.Optional(Type.String({ format: 'date-time' })),
    organizationId: Type.Optional(Id),
    accountId: Type.Optional(Id),
    userId: Type.Optional(Id),
    traits: Type.Optional(Bag),
    event: Type.Optional(Id),
    properties: Type.Optional(Bag),
    externalId: Type.Optional(Id),
    customObjectId: Type.Optional(Id),
    name: Type.Optional(Id),
  },
  { additionalProperties: true },
);

export const batchBody = (maxBatch: number) =>
  Type.Array(Message, {
    maxItems: maxBatch,
    description: `At most ${maxBatch} messages. A Segment-style {"batch": [...]} envelope is accepted too.`,
  });

export const Success = Type.Object({ message: Type.Literal('Success.') });

export const ErrorBody = Type.Object({
  message: Type.String(),
  errors: Type.Optional(
    Type.Array(
      Type.Object({
        index: Nullable(Type.Integer()),
        field: Nullable(Type.String()),
        message: Type.String(),
      }),
    ),
  ),
});

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  413: ErrorBody,
  429: ErrorBody,
};
