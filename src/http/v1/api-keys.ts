import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as apiKeys from '../../core/api-keys.ts';
import { Conflict } from '../../core/errors.ts';
import type { Replay } from '../../core/idempotency.ts';
import { components, example } from '../openapi.ts';
import { StringEnum } from '../schema-helpers.ts';
import { problemFormat } from './problem.ts';
import {
  errorResponses,
  IdParams,
  Nullable,
  PageQuery,
  Problem,
  pageOf,
  Timestamp,
  Uuid,
} from './schemas.ts';

// Length: four routes with their schemas and examples (they feed the OpenAPI document).

const tags = ['api-keys'];

const Scopes = Type.Array(StringEnum(apiKeys.SCOPES), { minItems: 1, maxItems: 3, uniqueItems: true });

const ApiKeyCreate = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: 'A name to recognise the key by' }),
  scopes: {
    ...Scopes,
    description: 'What the key may do: read; write (and read); admin (and both: manage keys, the webhook)',
  },
});

const keyFields = {
  id: Uuid,
  name: Type.String(),
  prefix: Nullable(
    Type.String({
      description:
        "The secret's first characters, to tell keys apart; null for keys made before they were kept",
    }),
  ),
  scopes: Type.Array(StringEnum(apiKeys.SCOPES)),
  created_at: Timestamp,
  created_by: Nullable({
    ...Uuid,
    description: 'The key that created it; null for the CLI and the first start',
  }),
  last_used_at: Nullable({ ...Timestamp, description: 'Kept to the minute' }),
  revoked_at: Nullable(Timestamp),
};

const ApiKey = Type.Object(keyFields, { description: 'An API key, without its secret' });

const NewApiKey = Type.Object(
  {
    ...keyFields,
    secret: Type.String({
      description:
        'The key to send (`Authorization: Bearer <secret>`); shown in this answer only, never again',
    }),
  },
  { description: 'A key just created, with its secret' },
);

components({ ApiKey, ApiKeyCreate, NewApiKey });
example(ApiKeyCreate, { name: 'Nightly ETL', scopes: ['read', 'write'] });

const view = (k: apiKeys.ApiKeyInfo): typeof ApiKey.static => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  created_at: k.createdAt,
  created_by: k.createdBy,
  last_used_at: k.lastUsedAt,
  revoked_at: k.revokedAt,
});

/**
 * What an Idempotency-Key keeps of a creation: not the answer, which holds the secret, but
 * a 409 naming the key, so a retry learns that its key exists (and may revoke it) while the
 * secret stays shown once and stored nowhere.
 */
const replayWithoutSecret = (sent: Replay): Replay => {
  const { id } = JSON.parse(sent.body) as { id: string };
  const problem = problemFormat(
    new Conflict(
      `This Idempotency-Key already created API key ${id}; its secret was shown in that answer only. ` +
        `If it was lost, revoke the key (DELETE /v1/api-keys/${id}) and create another.`,
    ),
  );
  return {
    status: problem.status,
    body: JSON.stringify(problem.body),
    contentType: problem.contentType ?? null,
  };
};

/**
 * The organization's API keys, managed by its admin keys. A key's secret is shown once, in
 * the answer that creates it; revoking a key ends its sessions and holds at once in this
 * process (within AUTH_CACHE_TTL_MS in others). The last active admin key stays.
 */
export const apiKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage, authenticator, sessions } = app.services;

  app.post(
    '/api-keys',
    {
      config: { scope: 'admin', idempotentRecord: replayWithoutSecret },
      schema: {
        tags,
        operationId: 'createApiKey',
        summary: 'Create an API key; the answer holds its secret, shown this once',
        description:
          'The answer carries `Cache-Control: no-store`. The secret is stored nowhere (only its hash), ' +
          'and neither is the answer: with an `Idempotency-Key`, a retry gets a 409 naming the key ' +
          'created, not the secret again.',
        body: ApiKeyCreate,
        response: { 201: NewApiKey, ...errorResponses, 409: Problem },
      },
    },
    async (request, reply) => {
      const { key, secret } = await apiKeys.createApiKey(storage, {
        orgId: request.actor.orgId,
        name: request.body.name,
        scopes: request.body.scopes,
        createdBy: request.actor.keyId,
      });
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...view(key), secret });
    },
  );

  app.get(
    '/api-keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'listApiKeys',
        summary: "List the organization's API keys (without secrets)",
        querystring: Type.Object({
          ...PageQuery,
          include_revoked: Type.Optional(
            Type.Boolean({ default: false, description: 'Also list the revoked keys' }),
          ),
        }),
        response: { 200: pageOf(ApiKey), ...errorResponses },
      },
    },
    async (request) => {
      const page = await apiKeys.listApiKeys(storage, request.actor.orgId, {
        cursor: request.query.cursor,
        limit: request.query.limit ?? 50,
        includeRevoked: request.query.include_revoked ?? false,
      });
      return { items: page.items.map(view), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/api-keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'getApiKey',
        summary: 'Get an API key (without its secret)',
        params: IdParams,
        response: { 200: ApiKey, ...errorResponses },
      },
    },
    async (request) => view(await apiKeys.getApiKey(storage, request.actor.orgId, request.params.id)),
  );

  app.delete(
    '/api-keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key and end its sessions',
        description:
          'The key is refused from then on (by every server process within 5 seconds) and its browser ' +
          'sessions end; it stays listed with `revoked_at` (`include_revoked=true`). Revoking a revoked ' +
          "key changes nothing. 409 for the organization's last active admin key: create another first.",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses, 409: Problem },
      },
    },
    async (request, reply) => {
      await apiKeys.revokeApiKey(storage, request.actor.orgId, request.params.id, [authenticator, sessions]);
      return reply.code(204).send(null);
    },
  );
};
