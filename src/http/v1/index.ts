import type { FastifyInstance } from 'fastify';
import { closeSchema, validatorCompiler } from '../validator-compiler.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { datasetRoutes } from './datasets.ts';
import { entityRoutes } from './entities.ts';
import { eventRoutes } from './events.ts';
import { importUploadRoutes } from './import-uploads.ts';
import { importRoutes } from './imports.ts';
import { metricRoutes } from './metrics.ts';
import { pointRoutes } from './points/index.ts';
import { sessionRoutes } from './session.ts';
import { summaryRoutes } from './summary.ts';
import { webhookRoutes } from './webhook.ts';

const NATIVE_SECURITY: Record<string, string[]>[] = [
  { bearer: [] },
  { apiKeyHeader: [] },
  { sessionCookie: [] },
];

// The native API. Every route here speaks the `native` dialect (RFC 9457 errors).
export async function v1Routes(app: FastifyInstance): Promise<void> {
  // Closed, uncoerced bodies and closed query strings (src/http/validator-compiler.ts).
  app.setValidatorCompiler(validatorCompiler('native'));
  app.addHook('onRoute', (route) => {
    // Every native write honours Idempotency-Key.
    const write = ([] as string[]).concat(route.method).some((m) => m !== 'GET' && m !== 'HEAD');
    route.config = { dialect: 'native', idempotent: write, ...(route.config ?? {}) };
    // The native API also takes the browser session's cookie (./session.ts), which the
    // vendor dialects do not: their operations keep the document's default security.
    if (!route.config.public && route.schema && route.schema.security === undefined) {
      route.schema = { ...route.schema, security: NATIVE_SECURITY };
    }
    // Closed here as well as in the compiler, so that the OpenAPI document says so.
    if (route.schema?.body) route.schema.body = closeSchema(route.schema.body);
    // A route that declares no query string takes none: `?anything` is a 400 naming it.
    route.schema = {
      ...route.schema,
      querystring: closeSchema(route.schema?.querystring ?? { type: 'object', properties: {} }),
    };
  });
  await app.register(datasetRoutes);
  await app.register(metricRoutes);
  await app.register(entityRoutes);
  await app.register(eventRoutes);
  await app.register(pointRoutes);
  await app.register(summaryRoutes);
  await app.register(importUploadRoutes);
  await app.register(importRoutes);
  await app.register(webhookRoutes);
  await app.register(sessionRoutes);
  await app.register(apiKeyRoutes);
}
