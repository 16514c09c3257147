import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as datasets from '../../core/datasets.ts';
import { Forbidden } from '../../core/errors.ts';
import * as metrics from '../../core/metrics.ts';
import { toDcycleDataset, toKpi } from './mapping.ts';
import {
  Dataset,
  DatasetCreate,
  DatasetPage,
  DatasetParams,
  DatasetUpdate,
  errorResponses,
  Kpi,
  KpiCreate,
  KpiParams,
  KpiUpdate,
  PageQuery,
} from './schemas.ts';

const tags = ['Dcycle'];
const Headers = Type.Object({
  'x-api-key': Type.Optional(Type.String()),
  'x-organization-id': Type.Optional(Type.String()),
  'x-user-id': Type.Optional(Type.String({ maxLength: 255 })),
});

export const dcycleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storage = () => app.services.storage;
  app.addHook('onRoute', (route) => {
    route.config = { dialect: 'dcycle', ...(route.config ?? {}) };
  });
  // Dcycle names the organization in a header; it must be the key's own.
  app.addHook('onRequest', async (request) => {
    const orgHeader = request.headers['x-organization-id'];
    if (request.actor && typeof orgHeader === 'string' && orgHeader !== request.actor.orgId) {
      throw new Forbidden('x-organization-id is not the organization of this API key');
    }
  });

  const base = '/v1/custom-kpi-datasets';

  app.post(
    base,
    {
      config: { scope: 'write' },
      schema: {
        tags,
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

  app.post(
    `${base}/:datasetId/kpis`,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Add KPI',
        headers: Headers,
        params: DatasetParams,
        body: KpiCreate,
        response: { 201: Kpi, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await metrics.createMetric(
        storage(),
        request.actor,
        request.params.datasetId,
        request.body,
      );
      return reply.code(201).send(toKpi(created));
    },
  );

  for (const method of ['put', 'patch'] as const) {
    app[method](
      `${base}/:datasetId/kpis/:kpiId`,
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Update KPI',
          headers: Headers,
          params: KpiParams,
          body: KpiUpdate,
          response: { 200: Kpi, ...errorResponses },
        },
      },
      async (request) =>
        toKpi(
          await metrics.updateMetric(storage(), request.actor, request.params.kpiId, request.body, {
            datasetId: request.params.datasetId,
          }),
        ),
    );
  }

  app.delete(
    `${base}/:datasetId/kpis/:kpiId`,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Delete KPI',
        headers: Headers,
        params: KpiParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await metrics.deleteMetric(storage(), request.actor, request.params.kpiId, {
        datasetId: request.params.datasetId,
      });
      return reply.code(204).send(null);
    },
  );
};
