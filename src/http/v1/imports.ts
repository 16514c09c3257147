import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { toImportView } from '../../core/import-view.ts';
import { getJob, listJobsPage } from '../../core/job-views.ts';
import { components } from '../openapi.ts';
import { Nullable, StringEnum } from '../schema-helpers.ts';
import { errorResponses, IdParams, PageQuery, pageOf, Timestamp } from './schemas.ts';

const tags = ['imports'];

const JOB_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;

export const ImportError = Type.Object({
  index: Nullable(Type.Integer({ description: '0-based index of the item in the request list' })),
  line: Nullable(Type.Integer({ description: '1-based line of the file' })),
  field: Type.String(),
  column: Nullable(Type.String()),
  reason: Type.String(),
});

export const Import = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.String({ description: 'e.g. workiva.batchUpsertion' }),
  status: StringEnum(JOB_STATUSES),
  received: Type.Integer(),
  applied: Type.Integer(),
  rejected: Type.Integer(),
  errors: Type.Array(ImportError),
  progress: Nullable(Type.Record(Type.String(), Type.Number())),
  attempts: Type.Integer(),
  created_at: Timestamp,
  started_at: Nullable(Timestamp),
  finished_at: Nullable(Timestamp),
  updated_at: Timestamp,
  duration_ms: Nullable(Type.Integer()),
  created_by: Nullable(Type.String()),
  result: Nullable(Type.Record(Type.String(), Type.Unknown())),
  result_url: Nullable(Type.String({ description: 'Where the written data can be read' })),
});

// Their names in the OpenAPI document (src/http/openapi.ts).
components({ Import, ImportError });

/** Asynchronous imports (Workiva batches, file imports): status, counts, per-item errors. */
export const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Status reads go through the reader: they answer while a batch is being written.
  const reader = () => app.services.reader;

  app.get(
    '/imports',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'listImports',
        summary: 'List imports, newest first',
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(StringEnum(JOB_STATUSES)),
          kind: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: { 200: pageOf(Import), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listJobsPage(reader(), request.actor.orgId, {
        cursor: q.cursor,
        limit: q.limit ?? 50,
        status: q.status,
        kind: q.kind,
      });
      return { items: page.items.map(toImportView), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/imports/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'getImport',
        summary: 'Get an import: status, counts, errors, timings and the result link',
        params: IdParams,
        response: { 200: Import, ...errorResponses },
      },
    },
    async (request) => toImportView(await getJob(reader(), request.actor.orgId, request.params.id)),
  );
};
