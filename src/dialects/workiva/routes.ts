import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { registerJsonParser } from '../../http/json-body.ts';
import { batchRoutes } from './batch-routes.ts';
import { operationRoute } from './operation-route.ts';
import { valuesRoute } from './values-route.ts';

// Workiva's routes, one file each (the two batch routes share one): the batch routes
// enqueue, the operation route reports, the values route reads.
export const workivaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRoute', (route) => {
    route.config = { dialect: 'workiva', ...(route.config ?? {}) };
  });
  // The seed's curl, HTTPie, wget and Python samples POST with Content-Type JSON and no
  // body at all: an empty body is read as a batch of zero values (it completes at once).
  registerJsonParser(app, () => ({ data: [] }));
  await app.register(batchRoutes);
  await app.register(operationRoute);
  await app.register(valuesRoute);
};
