import type { FastifyInstance } from 'fastify';
import { datasetRoutes } from './datasets.ts';
import { metricRoutes } from './metrics.ts';

// The native API. Every route here speaks the `native` dialect (RFC 9457 errors).
export async function v1Routes(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route) => {
    route.config = { dialect: 'native', ...(route.config ?? {}) };
  });
  await app.register(datasetRoutes);
  await app.register(metricRoutes);
}
