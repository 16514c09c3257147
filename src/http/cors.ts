import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

/**
 * CORS for the browser origins of KPIHUB_CORS_ORIGINS (a dashboard served elsewhere):
 * preflights answered, the answer's ETag, Location and request id readable by the page. Off
 * (no CORS headers, preflights 404) when the setting is empty, the default. Credentials
 * are not allowed: a page elsewhere calls with an API key header it holds, never a cookie
 * (the session cookie is for the server's own pages: SameSite=Strict, and CSRF-checked).
 */
export async function registerCors(app: FastifyInstance, config: Config): Promise<void> {
  if (config.corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: [...config.corsOrigins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: [
      'etag',
      'location',
      'x-request-id',
      'retry-after',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
    ],
    credentials: false,
    maxAge: 600,
  });
}
