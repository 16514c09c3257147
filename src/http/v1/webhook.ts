import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as webhooks from '../../core/webhooks.ts';
import { Nullable } from '../schema-helpers.ts';
import { errorResponses, Timestamp } from './schemas.ts';

const tags = ['webhook'];

const Webhook = Type.Object({
  url: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: Nullable(Type.String()),
});

/**
 * The organization's webhook, called (POST, JSON, `KPIHub-Signature: t=…,v1=…` =
 * HMAC-SHA256 of "t.body" with the secret) when one of its imports ends; retried with
 * exponential backoff until it answers 2xx.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storage = () => app.services.storage;

  app.put(
    '/webhook',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'setWebhook',
        summary: 'Set the webhook called when an import ends',
        description:
          'The secret is generated unless given, and shown only in this answer. The URL must be http(s) ' +
          'without credentials, and its host must resolve to public addresses only (not loopback, ' +
          'private, link-local, …) unless KPIHUB_WEBHOOK_ALLOW_HOSTS allows it: else 422 naming `url`.',
        body: Type.Object({
          url: Type.String({ minLength: 1, maxLength: 2000 }),
          secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
        }),
        response: { 200: Type.Object({ ...Webhook.properties, secret: Type.String() }), ...errorResponses },
      },
    },
    async (request) =>
      webhooks.setWebhook(storage(), request.actor, request.body, app.services.config.webhookTargets),
  );

  app.get(
    '/webhook',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'getWebhook',
        summary: 'Get the webhook (without its secret)',
        response: { 200: Webhook, ...errorResponses },
      },
    },
    async (request) => webhooks.getWebhook(storage(), request.actor.orgId),
  );

  app.delete(
    '/webhook',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'deleteWebhook',
        summary: 'Remove the webhook',
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await webhooks.deleteWebhook(storage(), request.actor.orgId);
      return reply.code(204).send(null);
    },
  );
};
