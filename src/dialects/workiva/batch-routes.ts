import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { checkIdsBelongToMetric, getDatasetMetric } from '../../core/points/batch-acceptance.ts';
import { WORKIVA_DELETE, WORKIVA_UPSERT, type WorkivaJobMeta } from './jobs.ts';
import { operationPath } from './mapping.ts';
import { baseUrl, deprecated, RETRY_AFTER, tags } from './route-common.ts';
import { DeletionBody, errorResponses, RequestHeaders, UpsertionBody, ValuesParams } from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

/** POST …/values/batchUpsertion and …/batchDeletion: each enqueues one job and answers 202. */
export const batchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage, config, jobs } = app.services;

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
          operationId: kind === WORKIVA_UPSERT ? 'workivaBatchUpsertValues' : 'workivaBatchDeleteValues',
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
};
