import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { pino } from 'pino';
import type { Config } from '../config.ts';
import { RateLimited } from '../core/errors.ts';
import type { Dialect } from '../dialects/contract.ts';
import { dialects as allDialects } from '../dialects/index.ts';
import { loggerOptions } from '../logger.ts';
import type { Store } from '../store/database.ts';
import { registerAuth } from './auth.ts';
import { registerCharsetCheck } from './body-charset.ts';
import { applyConnectionLimits, connectionOptions } from './connection-limits.ts';
import { registerCredentialsConstraint } from './constraints.ts';
import { registerCors } from './cors.ts';
import { createServices } from './create-services.ts';
import { registerErrorHandler } from './error-handler.ts';
import type { ErrorFormats } from './error-reply.ts';
import { clientErrorHandler, frameworkErrors, MAX_PARAM_LENGTH, RouteDialects } from './framework-errors.ts';
import { healthRoutes } from './health.ts';
import { registerIdempotency } from './idempotency.ts';
import { registerInputGuard } from './input-guard.ts';
import { registerJsonParser } from './json-body.ts';
import { registerObservability } from './observability.ts';
import { openApiTransforms } from './openapi.ts';
import { registerQueueMetrics } from './queue-metrics.ts';
import { createRateLimitStore } from './rate-limit-store.ts';
import { registerReaderConventions } from './reader-conventions.ts';
import type {} from './route-config.ts';
import { publicContext, registerRoutePolicy } from './route-policy.ts';
import type {} from './services.ts';
import { v1Routes } from './v1/index.ts';
import { problemFormat } from './v1/problem.ts';
import { validatorCompiler } from './validator-compiler.ts';
import { webRoutes } from './web.ts';
import { registerWriteMetrics } from './write-metrics.ts';

// Length: buildApp is the ordered list of what the app registers (hooks, plugins, routes);
// the order matters and reads best in one place.

export interface AppOptions {
  config: Config;
  store: Store;
  /** A pino logger to use instead of building one from the config (tests pass a silent one). */
  logger?: FastifyBaseLogger;
  /** More plugins, registered after the app's own routes (tests add routes this way). */
  plugins?: FastifyPluginAsync[];
  /** The vendor dialects to serve; all of src/dialects/index.ts unless given (tests add toys). */
  dialects?: readonly Dialect[];
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Each route's error shape by its `config.dialect`: the native problem format and each dialect's. */
function errorFormatsOf(dialects: readonly Dialect[]): ErrorFormats {
  const formats: Record<string, ErrorFormats[string]> = { native: problemFormat };
  for (const dialect of dialects) {
    if (formats[dialect.id]) throw new Error(`dialect id ${dialect.id} is taken`);
    formats[dialect.id] = dialect.errorFormat;
  }
  return formats;
}

/** `the A, B and C dialects`, for the OpenAPI description. */
const dialectNames = (dialects: readonly Dialect[]): string => {
  const titles = dialects.map((d) => d.title);
  return titles.length < 2 ? titles.join('') : `${titles.slice(0, -1).join(', ')} and ${titles.at(-1)}`;
};

/** A dialect's routes, in a scope that validates as its vendor does and keeps to its URL prefixes. */
function dialectScope(dialect: Dialect): FastifyPluginAsync {
  return async (scope) => {
    scope.setValidatorCompiler(
      validatorCompiler(dialect.id, { stringsAreStrings: dialect.stringsAreStrings }),
    );
    scope.addHook('onRoute', (route) => {
      if (!dialect.prefixes.some((prefix) => route.url.startsWith(prefix))) {
        throw new Error(
          `dialect ${dialect.id}: route ${route.url} is outside its prefixes ${dialect.prefixes.join(', ')}`,
        );
      }
    });
    await scope.register(dialect.routes);
  };
}

/** Builds the whole HTTP application. It does not listen: the server (or a test's inject) does. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { config, store } = opts;
  const dialects = opts.dialects ?? allDialects;
  const errorFormats = errorFormatsOf(dialects);
  const routeDialects = new RouteDialects();
  const app = Fastify({
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrors(errorFormats, routeDialects),
    clientErrorHandler: clientErrorHandler(errorFormats, routeDialects),
    loggerInstance: opts.logger ?? (pino(loggerOptions(config)) as FastifyBaseLogger),
    bodyLimit: config.bodyLimit,
    ...connectionOptions(config),
    // A client's own request id is kept (when sane) so its logs and ours line up.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Each dialect's routes validate as its vendor does (src/http/validator-compiler.ts).
  app.setValidatorCompiler(validatorCompiler('default'));
  applyConnectionLimits(app, config);

  // First of all: every route registered from here on must say who may call it.
  registerRoutePolicy(app);

  app.decorate('services', createServices(config, store));
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.addHook('onRoute', (route) => routeDialects.record(route));
  registerJsonParser(app);
  registerInputGuard(app);
  registerCredentialsConstraint(app);
  registerErrorHandler(app, errorFormats);
  const registry = registerObservability(app);
  // The connection gauges first: a scrape collects in this order, and the queue gauges' own
  // queries would otherwise show as connections in use and waited for.
  const stopWriteMetrics = registerWriteMetrics(app, registry, app.services.health.connectionUse);
  const stopQueueMetrics = registerQueueMetrics(registry, app.services.health);
  app.addHook('onClose', async () => {
    stopQueueMetrics();
    stopWriteMetrics();
  });
  registerAuth(app, app.services.authenticator, app.services.sessions);
  registerIdempotency(app);
  registerCharsetCheck(app);

  // Redis (when configured) shares the counters between API processes; when it does not
  // answer, the store counts in memory instead of failing requests.
  const rateLimitStore = await createRateLimitStore({ redisUrl: config.redisUrl, log: app.log });
  app.addHook('onClose', async () => rateLimitStore.close());
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    enableDraftSpec: true,
    // Counted per API key (or per address before a key is known).
    keyGenerator: (request) => request.actor?.keyId ?? request.ip,
    store: rateLimitStore.Store,
    errorResponseBuilder: (_request, context) => new RateLimited(Math.max(1, Math.ceil(context.ttl / 1000))),
  });

  await registerReaderConventions(app);
  await registerCors(app, config);

  await app.register(swagger, {
    ...openApiTransforms(errorFormats),
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'KPI Hub',
        version: '0.1.0',
        description: `KPI definitions and values: the native /v1 API, and the ${dialectNames(dialects)} dialects.`,
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // Relative: the server that serves this document.
      servers: [{ url: '/', description: 'This KPI Hub server' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          // The browser session (POST /v1/session), on the native API only.
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'kpihub_session' },
        },
      },
      security: [{ bearer: [] }, { apiKeyHeader: [] }],
    },
  });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  // Interactive docs at /docs, and at /swagger/ where AchieveIt documents its API. Each in a
  // context of its own (swagger-ui decorates its instance once), marked public.
  await app.register(publicContext((scope) => scope.register(swaggerUi, { routePrefix: '/docs' })));
  await app.register(publicContext((scope) => scope.register(swaggerUi, { routePrefix: '/swagger' })));

  await app.register(healthRoutes, { registry, rateLimitStore });
  await app.register(v1Routes, { prefix: '/v1' });
  for (const dialect of dialects) await app.register(dialectScope(dialect));
  // The dashboard's pages and assets, at exact paths that no dialect uses (src/http/web.ts).
  await app.register(webRoutes({ dir: config.webDir }));
  for (const plugin of opts.plugins ?? []) await app.register(plugin);
  return app;
}
