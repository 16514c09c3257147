import { Type } from '@sinclair/typebox';
import { components } from '../../openapi.ts';
import { Nullable } from '../../schema-helpers.ts';
import { Timestamp, Uuid } from '../schemas.ts';

// The shapes of the native data point routes.

export const tags = ['data points'];

export const PointIn = Type.Object({
  date: Type.Optional(Type.String({ description: 'A one-day period (YYYY-MM-DD)' })),
  period_start: Type.Optional(Type.String({ description: 'YYYY-MM-DD' })),
  period_end: Type.Optional(Type.String({ description: 'YYYY-MM-DD; defaults to period_start' })),
  value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
  coordinates: Type.Optional(Nullable(Type.Record(Type.String(), Type.String()))),
  notes: Type.Optional(Nullable(Type.String())),
});

export const PointOut = Type.Object({
  id: Uuid,
  metric_id: Uuid,
  period_start: Type.String(),
  period_end: Type.String(),
  coordinates: Nullable(Type.Record(Type.String(), Type.String())),
  value: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  status: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: Nullable(Type.String()),
  updated_by: Nullable(Type.String()),
});

export const Count = (description: string) => Type.Integer({ minimum: 0, description });

// The counts always; the points unless the client sent `Prefer: return=minimal`.
export const WriteAnswer = Type.Object({
  received: Count('points in the request'),
  inserted: Count('inputs that created a point (or wrote one again after its delete)'),
  updated: Count('inputs that changed a point (value, notes, status, data source or task)'),
  unchanged: Count('inputs equal to the point as stored (nothing written, no revision)'),
  data_points: Type.Optional(Type.Array(PointOut)),
});

export const Revision = Type.Object({
  id: Type.Integer(),
  op: Type.String(),
  old_value: Nullable(Type.String()),
  new_value: Nullable(Type.String()),
  actor: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  job_id: Nullable(Type.String()),
  changed_at: Timestamp,
});

export const MetricParams = Type.Object({ id: Uuid });
export const PointParams = Type.Object({ id: Uuid, point_id: Uuid });

export const RangeQuery = {
  // A calendar date (PostgreSQL compares these with a date column and would fail on others).
  from: Type.Optional(Type.String({ format: 'date', description: 'first period start (YYYY-MM-DD)' })),
  to: Type.Optional(Type.String({ format: 'date', description: 'last period start (YYYY-MM-DD)' })),
  coordinates: Type.Optional(
    Type.String({ description: 'JSON object of dimension (id or name) → member, e.g. {"region":"EU"}' }),
  ),
  as_of: Type.Optional(
    Type.String({ format: 'date-time', description: 'read the values as they were then' }),
  ),
};

// Their names in the OpenAPI document (src/http/openapi.ts).
components({
  DataPoint: PointOut,
  DataPointInput: PointIn,
  DataPointWriteResult: WriteAnswer,
  DataPointRevision: Revision,
});
