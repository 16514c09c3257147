import { Type } from '@sinclair/typebox';
import { LIMITS } from '../../core/limits.ts';
import { Nullable, StringEnum } from '../../http/schema-helpers.ts';
import { Uuid } from '../../http/v1/schemas.ts';

// Dcycle's request and response shapes, as its seed documents them.

export const DCYCLE_VALUE_TYPES = ['number', 'text', 'percentage', 'date', 'boolean'] as const;
const ValueType = StringEnum(DCYCLE_VALUE_TYPES);

const KpiFields = {
  name: Type.String({ minLength: 1, maxLength: LIMITS.nameMax }),
  description: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.descriptionMax }))),
  unit: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.unitMax }))),
  value_type: Type.Optional(ValueType),
  required: Type.Optional(Type.Boolean()),
  sort_order: Type.Optional(Type.Integer({ minimum: 0, maximum: LIMITS.sortOrderMax })),
};

export const KpiCreate = Type.Object(KpiFields);
export const KpiUpdate = Type.Partial(Type.Object(KpiFields), { minProperties: 1 });

export const DatasetCreate = Type.Object({
  name: Type.String({ minLength: 1, maxLength: LIMITS.nameMax }),
  description: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.descriptionMax }))),
  kpis: Type.Optional(Type.Array(KpiCreate, { maxItems: LIMITS.kpisPerDataset })),
});

export const DatasetUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.nameMax })),
    description: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.descriptionMax }))),
  },
  { minProperties: 1 },
);

export const Kpi = Type.Object({
  id: Uuid,
  dataset_id: Uuid,
  name: Type.String(),
  sort_order: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  description: Nullable(Type.String()),
  unit: Nullable(Type.String()),
  value_type: Type.String(),
  required: Type.Boolean(),
  updated_at: Type.String({ format: 'date-time' }),
});

export const Dataset = Type.Object({
  id: Uuid,
  organization_id: Uuid,
  name: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  description: Nullable(Type.String()),
  created_by: Nullable(Type.String()),
  updated_by: Nullable(Type.String()),
  updated_at: Type.String({ format: 'date-time' }),
  kpis: Type.Array(Kpi),
});

export const DatasetPage = Type.Object({
  items: Type.Array(Dataset),
  total: Type.Integer(),
  page: Type.Integer(),
  size: Type.Integer(),
  pages: Type.Integer(),
});

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMax, default: 1 })),
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageSizeMax, default: 50 })),
});

export const DatasetParams = Type.Object({ datasetId: Uuid });
export const KpiParams = Type.Object({ datasetId: Uuid, kpiId: Uuid });

const ValidationError = Type.Object({
  detail: Type.Array(
    Type.Object({
      loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
      msg: Type.String(),
      type: Type.String(),
    }),
  ),
});
const ErrorBody = Type.Object({ detail: Type.String(), code: Type.String() });

export const errorResponses = {
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ValidationError,
  429: ErrorBody,
};
