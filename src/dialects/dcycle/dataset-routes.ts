import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as datasets from '../../core/datasets.ts';
import { toDcycleDataset } from './mapping.ts';
import { base, Headers, tags } from './route-common.ts';
import {
  Dataset,
  DatasetCreate,
  DatasetPage,
  DatasetParams,
  DatasetUpdate,
  errorResponses,
  PageQuery,
} from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

/** A custom KPI dataset: create, list, read, update, delete. */
export const datasetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storage = () => app.services.storage;

  app.post(
    base,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'dcycleCreateDataset',
        summary: 'Create Dataset',
        headers: Headers,
        body: DatasetCreate,
        response: { 201: Dataset, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { kpis, ...rest } = request.body;
      const created = await datasets.createDataset(
        storage(),
        request.actor,
        { ...rest, metrics: kpis },
        'kpis',
      );
      return reply.code(201).send(toDcycleDataset(created));
    },
  );

  app.get(
    base,
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'dcycleListDatasets',
        summary: 'List Datasets',
        headers: Headers,
        querystring: PageQuery,
        response: { 200: DatasetPage, ...errorResponses },
      },
    },
    async (request) => {
      const page = request.query.page ?? 1;
      const size = request.query.size ?? 50;
      const { items, total } = await datasets.listDatasetsPage(storage(), request.actor.orgId, {
        page,
        size,
      });
      return { items: items.map(toDcycleDataset), total, page, size, pages: Math.ceil(total / size) };
    },
  );

  app.get(
    `${base}/:datasetId`,
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'dcycleGetDataset',
        summary: 'Get Dataset',
        headers: Headers,
        params: DatasetParams,
        response: { 200: Dataset, ...errorResponses },
      },
    },
    async (request) =>
      toDcycleDataset(await datasets.getDataset(storage(), request.actor.orgId, request.params.datasetId)),
  );

  for (const method of ['put', 'patch'] as const) {
    app[method](
      `${base}/:datasetId`,
      {
        config: { scope: 'write' },
        schema: {
          tags,
          operationId: method === 'put' ? 'dcycleReplaceDataset' : 'dcycleUpdateDataset',
          summary: 'Update Dataset',
          headers: Headers,
          params: DatasetParams,
          body: DatasetUpdate,
          response: { 200: Dataset, ...errorResponses },
        },
      },
      async (request) =>
        toDcycleDataset(
          await datasets.updateDataset(storage(), request.actor, request.params.datasetId, request.body),
        ),
    );
  }

  app.delete(
    `${base}/:datasetId`,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'dcycleDeleteDataset',
        summary: 'Delete Dataset',
        headers: Headers,
        params: DatasetParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await datasets.deleteDataset(storage(), request.actor.orgId, request.params.datasetId);
      return reply.code(204).send(null);
    },
  );
};
