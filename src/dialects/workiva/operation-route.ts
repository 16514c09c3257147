import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getJob } from '../../core/job-views.ts';
import { isFinished, toOperation } from './mapping.ts';
import { baseUrl, RETRY_AFTER, tags } from './route-common.ts';
import { errorResponses, Operation, OperationParams, ReadHeaders } from './schemas.ts';

/** GET /prototype/platform/operations/:operationId: a batch's job, as Workiva's operation. */
export const operationRoute: FastifyPluginAsyncTypebox = async (app) => {
  const { reader } = app.services;

  app.get(
    '/prototype/platform/operations/:operationId',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'workivaGetOperation',
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
};
