import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as entities from '../../core/analytics/entities.ts';
import { EntityDetail, EntityListQuery, EntityPage, EntityParams, EntityQuery } from './analytics-schemas.ts';
import { errorResponses } from './schemas.ts';

const tags = ['analytics'];

export const entityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storage = () => app.services.storage;

  app.get(
    '/entities',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'listEntities',
        summary: 'List analytics entities (organizations, accounts, users, custom object instances)',
        querystring: EntityListQuery,
        response: { 200: EntityPage, ...errorResponses },
      },
    },
    async (request) =>
      entities.listEntities(storage(), request.actor.orgId, {
        type: request.query.type,
        cursor: request.query.cursor,
        limit: request.query.limit ?? 50,
      }),
  );

  app.get(
    '/entities/:type/:external_id',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'getEntity',
        summary: 'Get an entity with its traits, links and trait history',
        params: EntityParams,
        querystring: EntityQuery,
        response: { 200: EntityDetail, ...errorResponses },
      },
    },
    async (request) =>
      entities.getEntity(storage(), request.actor.orgId, request.params.type, request.params.external_id, {
        historyLimit: request.query.history_limit ?? 100,
      }),
  );
};
