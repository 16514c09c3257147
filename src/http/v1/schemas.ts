import { type TSchema, Type } from '@sinclair/typebox';
import { FREQUENCIES, LIMITS, VALUE_TYPES } from '../../core/limits.ts';
import { components, example } from '../openapi.ts';
import { Nullable, StringEnum } from '../schema-helpers.ts';

export { Nullable };

// Schemas of the native API. They validate at the edge and feed the OpenAPI document.

export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time' });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Array(
      Type.Object({
        field: Type.String(),
        message: Type.String(),
        line: Type.Optional(Type.Integer()),
        column: Type.Optional(Type.String()),
      }),
    ),
  },
  { description: 'RFC 9457 problem details' },
);

export const IdParams = Type.Object({ id: Uuid });

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.listPageSizeMax, default: 50 })),
};

export const Audit = {
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: Nullable(Type.String()),
  updated_by: Nullable(Type.String()),
};

export const ValueTypeSchema = StringEnum(VALUE_TYPES);
export const FrequencySchema = StringEnum(FREQUENCIES);

const Name = Type.String({ minLength: 1, maxLength: LIMITS.nameMax });
const Description = Nullable(Type.String({ maxLength: LIMITS.descriptionMax }));

export const MetricFields = {
  name: Name,
  description: Type.Optional(Description),
  unit: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.unitMax }))),
  value_type: Type.Optional(ValueTypeSchema),
  frequency: Type.Optional(Nullable(FrequencySchema)),
  required: Type.Optional(Type.Boolean()),
  sort_order: Type.Optional(Type.Integer({ minimum: 0, maximum: LIMITS.sortOrderMax })),
  external_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: LIMITS.externalIdMax }))),
};

export const DimensionInput = Type.Object({
  id: Type.Optional(Uuid),
  name: Type.String({ minLength: 1, maxLength: LIMITS.nameMax }),
});

export const MetricCreate = Type.Object({
  dataset_id: Type.Optional(Nullable(Uuid)),
  ...MetricFields,
  dimensions: Type.Optional(Type.Array(DimensionInput, { maxItems: LIMITS.dimensionsPerMetric })),
});

export const MetricUpdate = Type.Partial(
  Type.Object({
    ...MetricFields,
    dimensions: Type.Array(DimensionInput, { maxItems: LIMITS.dimensionsPerMetric }),
  }),
  { minProperties: 1 },
);

export const Metric = Type.Object({
  id: Uuid,
  dataset_id: Nullable(Uuid),
  name: Type.String(),
  description: Nullable(Type.String()),
  unit: Nullable(Type.String()),
  value_type: ValueTypeSchema,
  frequency: Nullable(FrequencySchema),
  required: Type.Boolean(),
  sort_order: Type.Integer(),
  external_id: Nullable(Type.String()),
  dimensions: Type.Array(Type.Object({ id: Uuid, name: Type.String() })),
  ...Audit,
});

export const DatasetCreate = Type.Object({
  name: Name,
  description: Type.Optional(Description),
  metrics: Type.Optional(
    Type.Array(
      Type.Object({
        ...MetricFields,
        dimensions: Type.Optional(Type.Array(DimensionInput, { maxItems: LIMITS.dimensionsPerMetric })),
      }),
      { maxItems: LIMITS.kpisPerDataset },
    ),
  ),
});

export const DatasetUpdate = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Description) },
  { minProperties: 1 },
);

export const Dataset = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Nullable(Type.String()),
  metrics: Type.Array(Metric),
  ...Audit,
});

export const pageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), next_cursor: Nullable(Type.String()) });

/** Error responses every authenticated native route can give. */
export const errorResponses = {
  400: Problem,
  401: Problem,
  403: Problem,
  404: Problem,
  422: Problem,
  429: Problem,
};

/** PATCH and DELETE of a resource with an ETag: 412 when the request's If-Match no longer holds. */
export const changeResponses = { ...errorResponses, 412: Problem };

// Their names in the OpenAPI document (src/http/openapi.ts).
components({ Problem, Dataset, DatasetCreate, DatasetUpdate, Metric, MetricCreate, MetricUpdate });

// Examples that work as they are in "Try it out" (test/v1/openapi.test.ts sends each).
example(DatasetCreate, {
  name: 'Energy',
  description: 'Energy use of our sites',
  metrics: [
    {
      name: 'Electricity',
      unit: 'kWh',
      value_type: 'number',
      frequency: 'monthly',
      dimensions: [{ name: 'Facility' }],
    },
  ],
});
example(DatasetUpdate, { description: 'Energy use of every site we run' });
example(MetricCreate, {
  name: 'Monthly recurring revenue',
  unit: 'EUR',
  value_type: 'currency',
  frequency: 'monthly',
});
example(MetricUpdate, { unit: 'USD' });
