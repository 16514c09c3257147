import { Type } from '@sinclair/typebox';
import { IDEMPOTENCY_KEY_MAX } from '../../core/idempotency.ts';
import { Nullable, StringEnum } from '../../http/schema-helpers.ts';
import { Uuid } from '../../http/v1/schemas.ts';

// Workiva's request and response shapes, as its seed (and its public Operations and
// Sustainability reference) documents them.

export const WORKIVA_VERSIONS = ['2022-01-01', '2026-01-01'] as const;

export const RequestHeaders = Type.Object({
  'x-version': Type.Optional(
    StringEnum(WORKIVA_VERSIONS, { description: 'Version of the API (2022-01-01 or 2026-01-01)' }),
  ),
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX })),
});
export const ReadHeaders = Type.Object({ 'x-version': RequestHeaders.properties['x-version'] });

export const ValuesParams = Type.Object({
  programId: Type.String({ format: 'uuid', description: 'The unique identifier of the program' }),
  metricId: Type.String({ format: 'uuid', description: 'The unique identifier of the metric' }),
});
export const OperationParams = Type.Object({ operationId: Uuid });

const ReportingPeriod = Type.Object({
  year: Type.Integer({ description: 'The reporting year' }),
  start: Type.Integer({ description: 'First month of the period, 1-12' }),
  end: Type.Integer({ description: 'Last month of the period, 1-12, not before start' }),
});
const Coordinates = Type.Record(Type.String(), Type.String(), {
  description: 'Dimension id → member',
});

export const FIELDS_TO_CLEAR = ['value', 'notes', 'status', 'dataSource', 'task'] as const;

/** A value to upsert: identified by `id`, or by `reportingPeriod` (+ `coordinates`); `id` wins. */
export const MetricValueInput = Type.Object({
  id: Type.Optional(Type.String({ format: 'uuid' })),
  reportingPeriod: Type.Optional(ReportingPeriod),
  coordinates: Type.Optional(Nullable(Coordinates)),
  value: Type.Optional(Nullable(Type.String({ description: 'A decimal string for numeric metrics' }))),
  notes: Type.Optional(Nullable(Type.String())),
  status: Type.Optional(Nullable(Type.String())),
  dataSource: Type.Optional(Type.Unknown({ description: 'Kept as given' })),
  task: Type.Optional(Nullable(Type.String())),
  fieldsToClear: Type.Optional(Type.Array(StringEnum(FIELDS_TO_CLEAR))),
});
export type MetricValueInputT = {
  id?: string;
  reportingPeriod?: { year: number; start: number; end: number };
  coordinates?: Record<string, string> | null;
  value?: string | null;
  notes?: string | null;
  status?: string | null;
  dataSource?: unknown;
  task?: string | null;
  fieldsToClear?: (typeof FIELDS_TO_CLEAR)[number][];
};

/** A value to delete: its `id`, or its `reportingPeriod` (+ `coordinates`). */
export const MetricValueKey = Type.Object({
  id: Type.Optional(Type.String({ format: 'uuid' })),
  reportingPeriod: Type.Optional(ReportingPeriod),
  coordinates: Type.Optional(Nullable(Coordinates)),
});

export const UpsertionBody = Type.Object({ data: Type.Array(MetricValueInput) });
export const DeletionBody = Type.Object({ data: Type.Array(MetricValueKey) });

export const MetricValue = Type.Object({
  id: Uuid,
  reportingPeriod: ReportingPeriod,
  coordinates: Coordinates,
  value: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  status: Nullable(Type.String()),
  dataSource: Type.Unknown(),
  task: Nullable(Type.String()),
});

export const ValuesQuery = Type.Object({
  $maxpagesize: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, description: 'The maximum number of results to retrieve' }),
  ),
  $next: Type.Optional(
    Type.String({ maxLength: 200, description: 'Pagination cursor for next set of results' }),
  ),
});

export const ValuesPage = Type.Object({
  '@nextLink': Type.Optional(Type.String({ description: 'Pagination link for next set of results' })),
  data: Type.Array(MetricValue),
});

const Action = Type.Object({ dateTime: Type.String({ format: 'date-time' }) });
const Detail = Type.Object({ code: Type.String(), message: Type.String(), target: Type.String() });

export const OPERATION_STATUSES = [
  'acknowledged',
  'queued',
  'started',
  'completed',
  'cancelled',
  'failed',
] as const;

export const Operation = Type.Object({
  id: Type.String(),
  status: StringEnum(OPERATION_STATUSES),
  created: Action,
  updated: Action,
  originalRequest: Type.String({ description: 'The request id that initiated this operation' }),
  resourceUrl: Type.Optional(Nullable(Type.String())),
  details: Type.Optional(Nullable(Type.Array(Detail))),
});

export const ErrorResponse = Type.Object(
  {
    code: Type.String({ description: 'e.g. 400BadRequest' }),
    message: Type.String(),
    details: Type.Optional(Type.Array(Detail)),
  },
  { description: 'Error response: the reason is provided in the error message.' },
);

export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  429: ErrorResponse,
  500: ErrorResponse,
};
