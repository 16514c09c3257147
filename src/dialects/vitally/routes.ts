import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ingestBatch } from '../../core/analytics/ingest.ts';
import { SUCCESS, toCoreMessages, unwrapEnvelope } from './mapping.ts';
import { batchBody, errorResponses, Success } from './schemas.ts';

const tags = ['Vitally'];

export const vitallyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app.services;
  app.addHook('onRoute', (route) => {
    route.config = { dialect: 'vitally', ...(route.config ?? {}) };
  });

  app.post(
    '/analytics/v1/batch',
    {
      config: { scope: 'write' },
      // Before the schema sees it, so an envelope is validated as the array it carries.
      preValidation: async (request) => {
        request.body = unwrapEnvelope(request.body) as typeof request.body;
      },
      schema: {
        tags,
        operationId: 'vitallyBatch',
        summary:
          'Create/update a batch of Organizations, Accounts, Users, Tracks, or Custom Object Instances',
        body: batchBody(config.analyticsMaxBatch),
        response: { 200: Success, ...errorResponses },
      },
    },
    async (request) => {
      await ingestBatch(app.services.storage, request.actor, toCoreMessages(request.body), {
        maxBatch: config.analyticsMaxBatch,
        dedupWindowSeconds: config.analyticsDedupWindowSeconds,
      });
      return SUCCESS;
    },
  );
};
