import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import * as metrics from '../../core/metrics.ts';
import { toKpi } from './mapping.ts';
import { base, Headers, tags } from './route-common.ts';
import { DatasetParams, errorResponses, Kpi, KpiCreate, KpiParams, KpiUpdate } from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

/** The KPIs of a dataset: add, update, remove. */
export const kpiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storage = () => app.services.storage;

  app.post(
    `${base}/:datasetId/kpis`,
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'dcycleAddKpi',
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
          operationId: method === 'put' ? 'dcycleReplaceKpi' : 'dcycleUpdateKpi',
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
        operationId: 'dcycleDeleteKpi',
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
