import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Invalid } from '../../core/errors.ts';
import { isUuid } from '../../core/ids.ts';
import { getJob } from '../../core/jobs.ts';
import { decodeCursor } from '../../core/paging.ts';
import { checkIdsBelongToMetric, getDatasetMetric } from '../../core/points/batch-acceptance.ts';
import { readPoints } from '../../core/points/read.ts';
import { registerJsonParser } from '../../http/json-body.ts';
import { WORKIVA_DELETE, WORKIVA_UPSERT, type WorkivaJobMeta } from './jobs.ts';
import { isFinished, operationPath, toMetricValue, toOperation, valuesPath } from './mapping.ts';
import {
  DeletionBody,
  errorResponses,
  Operation,
  OperationParams,
  ReadHeaders,
  RequestHeaders,
  UpsertionBody,
  ValuesPage,
  ValuesParams,
  ValuesQuery,
} from './schemas.ts';

const tags = ['Workiva'];
/** Seconds a client should wait before polling an operation (and between polls). */
const RETRY_AFTER = '1';
// RFC 9745 (a structured-field date) and RFC 8594 (an HTTP date), from the seed.
const DEPRECATION = `@${Date.UTC(2026, 1, 12) / 1000}`;
const SUNSET = new Date(Date.UTC(2027, 0, 31)).toUTCString();
const PAGE_SIZE = 100;

const baseUrl = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

async function deprecated(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  reply.header('deprecation', DEPRECATION);
  reply.header('sunset', SUNSET);
  return payload;
}

export const workivaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage, reader, config, jobs } = app.services;
  app.addHook('onRoute', (route) => {
    route.config = { dialect: 'workiva', ...(route.config ?? {}) };
  });
  // The seed's curl, HTTPie, wget and Python samples POST with Content-Type JSON and no
  // body at all: an empty body is read as a batch of zero values (it completes at once).
  registerJsonParser(app, () => ({ data: [] }));

  const batch = (
    kind: string,
    summary: string,
    description: string,
    body: typeof UpsertionBody | typeof DeletionBody,
  ) =>
    app.post(
      `/prototype/platform/programs/:programId/metrics/:metricId/values/${kind === WORKIVA_UPSERT ? 'batchUpsertion' : 'batchDeletion'}`,
      {
        config: { scope: 'write' },
        bodyLimit: config.workivaMaxBytes,
        onSend: deprecated,
        schema: {
          tags,
          summary,
          description,
          deprecated: true,
          headers: RequestHeaders,
          params: ValuesParams,
          body,
          response: {
            202: Type.Null({ description: 'Accepted: poll the Location header for the operation result' }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { programId, metricId } = request.params;
        const { orgId } = request.actor;
        await getDatasetMetric(storage, orgId, programId, metricId);
        const data = (request.body as { data: { id?: string }[] }).data;
        await checkIdsBelongToMetric(
          storage,
          orgId,
          metricId,
          data.flatMap((v) => (v.id === undefined ? [] : [v.id])),
        );
        const meta: WorkivaJobMeta = { programId, metricId };
        const { job } = await jobs.enqueue({
          actor: request.actor,
          kind,
          meta: { ...meta },
          // One value a line: the job reads, maps and writes it chunk by chunk.
          payload: data.map((v) => JSON.stringify(v)).join('\n'),
          received: data.length,
          orderingKey: `metric:${metricId}`,
          idempotencyKey: request.headers['idempotency-key'],
          idempotencyWindowSeconds: config.idempotencyWindowSeconds,
          requestKey: `${programId}/${metricId}`,
          maxAttempts: config.jobMaxAttempts,
        });
        reply.header('location', `${baseUrl(request)}${operationPath(job.id)}`);
        reply.header('retry-after', RETRY_AFTER);
        // No body: the seed documents only the headers of a 202.
        return reply.code(202).send(undefined as never);
      },
    );

  batch(
    WORKIVA_UPSERT,
    'Initiate a batch upsertion of metric values',
    'Batch upsert values for the given metric. The payload is limited to 10MB; break it into multiple requests if necessary. ' +
      'For each value, provide either the id or both the reportingPeriod and coordinates (if any). If both are provided, the given id will be used. ' +
      'The values are applied asynchronously: poll the Location header. If any value fails, no changes are stored. ' +
      'An empty body is a batch of zero values.',
    UpsertionBody,
  );
  batch(
    WORKIVA_DELETE,
    'Initiate a batch deletion of metric values',
    'Batch delete values of the given metric, each named by id or by reportingPeriod and coordinates. ' +
      'Asynchronous and atomic, like batchUpsertion.',
    DeletionBody,
  );

  app.get(
    '/prototype/platform/operations/:operationId',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'Retrieve a single operation',
        description: 'The status of an asynchronous request; Retry-After is set while it is not finished.',
        headers: ReadHeaders,
        params: OperationParams,
        response: { 200: Operation, ...errorResponses },
      },
    },
    async (request, reply) => {
      const row = await getJob(reader, request.actor.orgId, request.params.operationId, 'operation');
      if (!isFinished(row)) reply.header('retry-after', RETRY_AFTER);
      return toOperation(row, baseUrl(request));
    },
  );

  app.get(
    '/prototype/platform/programs/:programId/metrics/:metricId/values',
    {
      config: { scope: 'read' },
      onSend: deprecated,
      schema: {
        tags,
        summary: 'Retrieve a list of metric values',
        deprecated: true,
        headers: ReadHeaders,
        params: ValuesParams,
        querystring: ValuesQuery,
        response: { 200: ValuesPage, ...errorResponses },
      },
    },
    async (request) => {
      const { programId, metricId } = request.params;
      const { orgId } = request.actor;
      const next = request.query.$next;
      const after = decodeCursor(next);
      if (after !== undefined && !isUuid(after))
        throw new Invalid([{ field: '$next', in: 'query', message: 'is not a cursor this API gave' }], true);
      await getDatasetMetric(storage, orgId, programId, metricId);
      const limit = request.query.$maxpagesize ?? PAGE_SIZE;
      const page = await readPoints(storage, orgId, metricId, { cursor: next, limit });
      const out: { data: ReturnType<typeof toMetricValue>[]; '@nextLink'?: string } = {
        data: page.items.map(toMetricValue),
      };
      if (page.next_cursor) {
        out['@nextLink'] =
          `${baseUrl(request)}${valuesPath(programId, metricId)}?$maxpagesize=${limit}&$next=${encodeURIComponent(page.next_cursor)}`;
      }
      return out;
    },
  );
};
