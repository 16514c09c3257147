import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as datasets from '../../core/datasets.ts';
import { ifMatch } from '../entity-tags.ts';
import {
  changeResponses,
  Dataset,
  DatasetCreate,
  DatasetUpdate,
  errorResponses,
  IdParams,
  PageQuery,
  pageOf,
} from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

const tags = ['datasets'];

export const datasetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storage = () => app.services.storage;

  app.post(
    '/datasets',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'createDataset',
        summary: 'Create a dataset, optionally with its metrics',
        body: DatasetCreate,
        response: { 201: Dataset, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await datasets.createDataset(storage(), request.actor, request.body);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/datasets',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'listDatasets',
        summary: 'List datasets',
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(Dataset), ...errorResponses },
      },
    },
    async (request) =>
      datasets.listDatasets(storage(), request.actor.orgId, {
        cursor: request.query.cursor,
        limit: request.query.limit ?? 50,
      }),
  );

  app.get(
    '/datasets/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'getDataset',
        summary: 'Get a dataset with its metrics',
        params: IdParams,
        response: { 200: Dataset, ...errorResponses },
      },
    },
    async (request) => datasets.getDataset(storage(), request.actor.orgId, request.params.id),
  );

  app.patch(
    '/datasets/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'updateDataset',
        summary: 'Update a dataset',
        description:
          'With If-Match (the ETag of a GET), applied only if the dataset is unchanged since; else 412.',
        params: IdParams,
        body: DatasetUpdate,
        response: { 200: Dataset, ...changeResponses },
      },
    },
    async (request, reply) =>
      datasets.updateDataset(storage(), request.actor, request.params.id, request.body, {
        precondition: ifMatch(request, reply, Dataset),
      }),
  );

  app.delete(
    '/datasets/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'deleteDataset',
        summary: 'Delete a dataset, its metrics and their values',
        params: IdParams,
        response: { 204: Type.Null(), ...changeResponses },
      },
    },
    async (request, reply) => {
      await datasets.deleteDataset(storage(), request.actor.orgId, request.params.id, {
        precondition: ifMatch(request, reply, Dataset),
      });
      return reply.code(204).send(null);
    },
  );
};
