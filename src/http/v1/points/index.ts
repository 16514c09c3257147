import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pointExportRoutes } from './export-routes.ts';
import { pointReadRoutes } from './read-routes.ts';
import { pointWriteRoutes } from './write-routes.ts';

// The native data point routes, in three groups: writes (PUT, DELETE), reads, and the
// streaming exports (a metric's or a dataset's points as CSV or NDJSON).
export const pointRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(pointWriteRoutes);
  await app.register(pointReadRoutes);
  await app.register(pointExportRoutes);
};
