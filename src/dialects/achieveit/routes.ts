import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NotFound } from '../../core/errors.ts';
import { isUuid } from '../../core/ids.ts';
import type { AchieveItFile } from '../../core/imports/achieveit-rows.ts';
import { ACHIEVEIT_JOB_KINDS } from '../../jobs/file-import-handlers.ts';
import { enqueueJob, findJob, spoolToFile } from '../../jobs/index.ts';
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

const tags = ['AchieveIt'];
const FILES: AchieveItFile[] = ['metricupdates', 'progressupdates'];
const SUMMARIES: Record<AchieveItFile, string> = {
  metricupdates: 'Submit metric updates (CSV)',
  progressupdates: 'Submit progress updates (CSV)',
};

export const achieveItRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, store } = app.services;
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
          summary: SUMMARIES[file],
          params: FileParams,
          body: CsvBody,
          response: { 200: Queued, ...errorResponses },
        },
      },
      async (request) => {
        // No body at all is an empty file: the job rejects it with a reason.
        const body = (request.body as Readable | undefined) ?? Readable.from([]);
        const spooled = await spoolToFile(body, { dir: config.dataDir, maxBytes: config.importMaxBytes });
        try {
          const { job } = await enqueueJob(store, {
            actor: request.actor,
            kind: ACHIEVEIT_JOB_KINDS[file],
            payload: spooled,
            meta: { filename: request.params.filename },
            maxAttempts: config.jobMaxAttempts,
          });
          return { jobId: job.id };
        } finally {
          await spooled.remove();
        }
      },
    );

    app.get(
      `/api/${file}/status/:jobId`,
      {
        config: { scope: 'read' },
        schema: {
          tags,
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
        const { jobId } = request.params;
        // Not a job id at all (PostgreSQL would refuse to compare it with a uuid column).
        const job = isUuid(jobId) ? await findJob(store.db, request.actor.orgId, jobId) : undefined;
        if (!job || job.kind !== ACHIEVEIT_JOB_KINDS[file]) throw new NotFound('job');
        const { code, body } = toJobStatus(job);
        return reply.code(code).send(body);
      },
    );
  }
};
