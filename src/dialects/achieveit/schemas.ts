import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../../http/schema-helpers.ts';

export const FileParams = Type.Object({
  filename: Type.String({ minLength: 1, maxLength: 255, description: 'The name of the CSV file' }),
});

export const StatusParams = Type.Object({
  jobId: Type.String({ minLength: 1, maxLength: 64, description: 'The Job ID the upload answered' }),
});

// The file is the raw body, in any content type (curl --data-binary sends it as
// application/x-www-form-urlencoded). The schema documents it; the body reaches the
// handler as a stream, unparsed and unbuffered.
export const CsvBody = {
  content: {
    'text/csv': {
      schema: Type.Unsafe({
        description:
          'The CSV file as is, in any content type. Columns: External ID, Current Metric Value, As Of Date, optional Comment (progress updates: External ID, Status, Current Metric Value, As Of Date, optional Comment). Header row optional.',
      }),
    },
  },
};

export const Queued = Type.Object({ jobId: Type.String() });

export const RowError = Type.Object({
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.String()),
  field: Type.String(),
  reason: Type.String(),
});

export const JOB_STATES = ['queued', 'processing', 'completed', 'rejected', 'failed'] as const;

export const JobStatusBody = Type.Object({
  jobId: Type.String(),
  status: StringEnum(JOB_STATES),
  fileName: Type.Union([Type.String(), Type.Null()]),
  rowsRead: Type.Integer(),
  rowsApplied: Type.Integer(),
  /** Every bad row of a rejected file (the first 1000). */
  errors: Type.Array(RowError),
  message: Type.Optional(Type.String()),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});
export type JobStatusBody = Static<typeof JobStatusBody>;

export const ErrorBody = Type.Object({
  message: Type.String(),
  errors: Type.Optional(Type.Array(RowError)),
});

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  413: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
};
