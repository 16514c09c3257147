import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as metrics from '../../core/metrics.ts';
import { ifMatch } from '../entity-tags.ts';
import {
  changeResponses,
  errorResponses,
  IdParams,
  Metric,
  MetricCreate,
  MetricUpdate,
  PageQuery,
  pageOf,
  Uuid,
} from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

const tags = ['metrics'];

export const metricRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storage = () => app.services.storage;

  app.post(
    '/metrics',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'createMetric',
        summary: 'Create a metric (KPI)',
        body: MetricCreate,
        response: { 201: Metric, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { dataset_id, ...input } = request.body;
      const created = await metrics.createMetric(storage(), request.actor, dataset_id ?? null, input);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/metrics',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'listMetrics',
        summary: 'List metrics, optionally of one dataset',
        querystring: Type.Object({ ...PageQuery, dataset_id: Type.Optional(Uuid) }),
        response: { 200: pageOf(Metric), ...errorResponses },
      },
    },
    async (request) =>
      metrics.listMetrics(storage(), request.actor.orgId, {
        datasetId: request.query.dataset_id,
        cursor: request.query.cursor,
        limit: request.query.limit ?? 50,
      }),
  );

  app.get(
    '/metrics/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'getMetric',
        summary: 'Get a metric',
        params: IdParams,
        response: { 200: Metric, ...errorResponses },
      },
    },
    async (request) => metrics.getMetric(storage(), request.actor.orgId, request.params.id),
  );

  app.patch(
    '/metrics/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'updateMetric',
        summary: 'Update a metric',
        description:
          'With If-Match (the ETag of a GET), applied only if the metric is unchanged since; else 412.',
        params: IdParams,
        body: MetricUpdate,
        response: { 200: Metric, ...changeResponses },
      },
    },
    async (request, reply) =>
      metrics.updateMetric(storage(), request.actor, request.params.id, request.body, {
        precondition: ifMatch(request, reply, Metric),
      }),
  );

  app.delete(
    '/metrics/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'deleteMetric',
        summary: 'Delete a metric and its values',
        params: IdParams,
        response: { 204: Type.Null(), ...changeResponses },
      },
    },
    async (request, reply) => {
      await metrics.deleteMetric(storage(), request.actor, request.params.id, {
        precondition: ifMatch(request, reply, Metric),
      });
      return reply.code(204).send(null);
    },
  );
};
