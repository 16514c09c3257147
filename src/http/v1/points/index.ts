import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pointReadRoutes } from './read-routes.ts';
import { pointWriteRoutes } from './write-routes.ts';

// The native data point routes, in two groups: writes (PUT, DELETE) and reads.
export const pointRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(pointWriteRoutes);
  await app.register(pointReadRoutes);
};
