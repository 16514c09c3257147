import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NotFound } from '../../core/errors.ts';
import { getJob } from '../../core/job-views.ts';
import { refuseEmptyAchieveIt } from './csv-import.ts';
import { ACHIEVEIT_JOB_KINDS } from './csv-jobs.ts';
import type { AchieveItFile } from './csv-rows.ts';
import { toJobStatus } from './mapping.ts';
import {
  CsvBody,
  ErrorBody,
  errorResponses,
  FileParams,
  JobStatusBody,
  Queued,
  StatusParams,
} from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

const tags = ['AchieveIt'];
const FILES: AchieveItFile[] = ['metricupdates', 'progressupdates'];
const SUMMARIES: Record<AchieveItFile, string> = {
  metricupdates: 'Submit metric updates (CSV)',
  progressupdates: 'Submit progress updates (CSV)',
};

export const achieveItRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, reader, jobs } = app.services;
  app.addHook('onRoute', (route) => {
    route.config = { dialect: 'achieveit', ...(route.config ?? {}) };
  });
  // The CSV arrives in whatever content type the client says (curl --data-binary says
  // application/x-www-form-urlencoded): every parser of this scope is replaced by one that
  // hands the body on as the raw stream, never buffered whole.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  for (const file of FILES) {
    app.post(
      `/api/${file}/:filename`,
      {
        config: { scope: 'write' },
        schema: {
          tags,
          operationId:
            file === 'metricupdates' ? 'achieveitUploadMetricUpdates' : 'achieveitUploadProgressUpdates',
          summary: SUMMARIES[file],
          params: FileParams,
          body: CsvBody,
          response: { 200: Queued, ...errorResponses },
        },
      },
      async (request) => {
        // No body at all is an empty file, refused (400, line 1) like a header alone.
        const body = (request.body as Readable | undefined) ?? Readable.from([]);
        const spooled = await jobs.spool(body, config.importMaxBytes);
        try {
          await refuseEmptyAchieveIt(createReadStream(spooled.path), config.importMaxFieldBytes);
          const { job } = await jobs.enqueue({
            actor: request.actor,
            kind: ACHIEVEIT_JOB_KINDS[file],
            payload: spooled,
            meta: { filename: request.params.filename, max_field_bytes: config.importMaxFieldBytes },
            maxAttempts: config.jobMaxAttempts,
          });
          return { jobId: job.id };
        } finally {
          // Not awaited: the answer need not wait for the disk (an in-process worker may
          // already be applying the file, and every turn of the event loop counts).
          void spooled.remove();
        }
      },
    );

    app.get(
      `/api/${file}/status/:jobId`,
      {
        config: { scope: 'read' },
        schema: {
          tags,
          operationId:
            file === 'metricupdates'
              ? 'achieveitGetMetricUpdatesStatus'
              : 'achieveitGetProgressUpdatesStatus',
          summary: `Status of submitted ${file === 'metricupdates' ? 'metric' : 'progress'} updates`,
          params: StatusParams,
          response: {
            200: JobStatusBody,
            202: JobStatusBody,
            400: Type.Union([JobStatusBody, ErrorBody]),
            500: Type.Union([JobStatusBody, ErrorBody]),
            401: ErrorBody,
            403: ErrorBody,
            404: ErrorBody,
            429: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const job = await getJob(reader, request.actor.orgId, request.params.jobId, 'job');
        // A job of the other file (or of another API) is not one of this route's.
        if (job.kind !== ACHIEVEIT_JOB_KINDS[file]) throw new NotFound('job');
        const { code, body } = toJobStatus(job);
        return reply.code(code).send(body);
      },
    );
  }
};
