import { Type } from '@sinclair/typebox';
import { IMPORT_FORMATS } from '../../core/imports/column-mapping.ts';
import { StringEnum } from '../schema-helpers.ts';

// POST /v1/imports: a file of data points and how to read it. The options come as query
// parameters or as multipart fields; the mapping is JSON text either way.

const ColumnRef = Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Integer({ minimum: 0 })], {
  description: 'A CSV header name or 0-based column index, or a JSON key',
});

export const ColumnMappingSchema = Type.Object(
  {
    metric_id: Type.Optional(ColumnRef),
    metric_external_id: Type.Optional(ColumnRef),
    date: Type.Optional(ColumnRef),
    period_start: Type.Optional(ColumnRef),
    period_end: Type.Optional(ColumnRef),
    value: Type.Optional(ColumnRef),
    notes: Type.Optional(ColumnRef),
    status: Type.Optional(ColumnRef),
    coordinates: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 255 }), ColumnRef)),
  },
  { additionalProperties: false },
);

export const ImportFormatSchema = StringEnum(IMPORT_FORMATS);

export const ImportOptionsQuery = Type.Object({
  format: Type.Optional(ImportFormatSchema),
  dry_run: Type.Optional(Type.Boolean({ default: false, description: 'Validate every row, store nothing' })),
  header: Type.Optional(Type.Boolean({ default: true, description: 'CSV: the first row names the columns' })),
  mapping: Type.Optional(
    Type.String({
      maxLength: 10_000,
      description:
        'JSON column mapping: {"metric_id"|"metric_external_id", "date"|"period_start"(+"period_end"), "value", "notes", "status", "coordinates": {dimension: column}}. Omitted: the columns named like the fields.',
    }),
  ),
});

const fileSchema = (description: string) => ({ schema: Type.Unsafe({ description }) });

export const ImportUploadBody = {
  content: {
    'multipart/form-data': fileSchema(
      'A `file` part, and optionally `format`, `dry_run`, `header` and `mapping` fields (before or after the file)',
    ),
    'text/csv': fileSchema('A CSV file, as is'),
    'application/x-ndjson': fileSchema('One JSON object a line'),
    'application/json': fileSchema('A JSON array of objects'),
  },
};
