import { Type } from '@sinclair/typebox';
import { LIMITS } from '../../core/limits.ts';
import { Nullable, StringEnum } from '../../http/schema-helpers.ts';

// Visible's shapes, as its seed and DIALECTS.md document them.

export const VISIBLE_FREQUENCIES = ['daily', 'weekly', 'monthly', 'quarterly'] as const;

export const MetricParams = Type.Object({ metric_id: Type.String({ description: 'ID of the metric' }) });

export const UpsertBody = (maxItems: number) =>
  Type.Object({
    data_points: Type.Array(
      Type.Object({
        date: Type.String({ description: 'Date for this data point (ISO 8601 format)' }),
        value: Type.Union([Type.String(), Type.Number()], {
          description: 'Value of the metric for this date',
        }),
      }),
      { maxItems, description: `Not more than ${maxItems} elements.` },
    ),
  });

export const DataPoint = Type.Object({
  id: Type.String({ format: 'uuid' }),
  date: Type.String({ format: 'date' }),
  value: Nullable(Type.String()),
  metric_id: Type.String({ format: 'uuid' }),
});

export const Meta = Type.Object({ page: Type.Integer(), total: Type.Integer(), total_pages: Type.Integer() });

export const DataPointsQuery = Type.Object({
  metric_id: Type.Array(Type.String(), {
    minItems: 1,
    description: 'one metric id, several, or a comma-separated list',
  }),
  start_date: Type.Optional(Type.String({ format: 'date' })),
  end_date: Type.Optional(Type.String({ format: 'date' })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMax, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
  exclude_blank: Type.Optional(Type.Boolean({ default: false })),
});

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMax, default: 1 })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
});

export const MetricCreate = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  frequency: Type.Optional(StringEnum(VISIBLE_FREQUENCIES)),
  unit: Type.Optional(
    Type.String({
      pattern: '^(number|percent|[A-Z]{3})$',
      description: 'number, percent or an ISO-4217 currency code',
    }),
  ),
  description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
});

export const Metric = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Nullable(Type.String()),
  frequency: Nullable(Type.String()),
  unit: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

const ErrorItem = Type.Object({
  type: Type.String({ description: 'Machine-readable error type' }),
  field: Type.Optional(Type.String({ description: 'The related field, if applicable' })),
  message: Type.Optional(Type.String({ description: 'Human-readable error message' })),
});
const Errors = Type.Object({ errors: Type.Array(ErrorItem) });

export const errorResponses = {
  400: Errors,
  401: Errors,
  403: Errors,
  404: Errors,
  422: Errors,
  429: Errors,
};
