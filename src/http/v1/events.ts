import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as events from '../../core/analytics/events.ts';
import { EventCountQuery, EventCounts, EventListQuery, EventPage } from './analytics-schemas.ts';
import { errorResponses } from './schemas.ts';

const tags = ['analytics'];

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storage = () => app.services.storage;

  app.get(
    '/events',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'listEvents',
        summary: 'List tracked events, oldest first, by user, account, event name and time range',
        querystring: EventListQuery,
        response: { 200: EventPage, ...errorResponses },
      },
    },
    async (request) => {
      const { limit, ...q } = request.query;
      return events.listEvents(storage(), request.actor.orgId, { ...q, limit: limit ?? 50 });
    },
  );

  app.get(
    '/events/counts',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'countEvents',
        summary:
          'Count events per day, week or month (UTC): one event as a series, or every event with a series per event name',
        querystring: EventCountQuery,
        response: { 200: EventCounts, ...errorResponses },
      },
    },
    async (request) =>
      events.countEvents(storage(), request.actor.orgId, {
        ...request.query,
        granularity: request.query.granularity ?? 'day',
      }),
  );
};
