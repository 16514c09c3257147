import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Forbidden } from '../../core/errors.ts';
import { datasetRoutes } from './dataset-routes.ts';
import { kpiRoutes } from './kpi-routes.ts';

// Dcycle's routes in two groups (datasets, their KPIs), behind the organization check.
export const dcycleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRoute', (route) => {
    route.config = { dialect: 'dcycle', ...(route.config ?? {}) };
  });
  // Dcycle names the organization in a header; it must be the key's own.
  app.addHook('onRequest', async (request) => {
    const orgHeader = request.headers['x-organization-id'];
    if (request.actor && typeof orgHeader === 'string' && orgHeader !== request.actor.orgId) {
      throw new Forbidden('x-organization-id is not the organization of this API key');
    }
  });
  await app.register(datasetRoutes);
  await app.register(kpiRoutes);
};
