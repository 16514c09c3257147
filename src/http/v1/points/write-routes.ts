import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { getMetric } from '../../../core/metrics.ts';
import type { PointInput } from '../../../core/points/point-input.ts';
import { toStoredPoint } from '../../../core/points/stored-point.ts';
import { deletePoints, writePoints } from '../../../core/points/write.ts';
import { preference } from '../../prefer.ts';
import { notePointsWritten } from '../../write-metrics.ts';
import { errorResponses } from '../schemas.ts';
import { parseCoordinates, toInput } from './query.ts';
import { MetricParams, PointIn, PointParams, tags, WriteAnswer } from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

/** PUT and DELETE of a metric's data points. */
export const pointWriteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage, config } = app.services;

  app.put(
    '/metrics/:id/data_points',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'upsertDataPoints',
        summary: 'Upsert data points of a metric (all or nothing)',
        params: MetricParams,
        body: Type.Object(
          { data_points: Type.Array(PointIn, { minItems: 1, maxItems: config.nativeMaxPoints }) },
          {
            examples: [
              {
                data_points: [
                  { period_start: '2024-01-01', period_end: '2024-01-31', value: '1250.5' },
                  {
                    period_start: '2024-02-01',
                    period_end: '2024-02-29',
                    value: 1190,
                    notes: 'meter replaced',
                  },
                ],
              },
            ],
          },
        ),
        headers: Type.Object({
          prefer: Type.Optional(
            Type.String({
              description:
                'return=minimal answers with the counts only (RFC 7240), for bulk loaders that do not need the points back',
            }),
          ),
        }),
        response: { 200: WriteAnswer, ...errorResponses },
      },
    },
    async (request, reply) => {
      const metric = await getMetric(storage, request.actor.orgId, request.params.id);
      // Plain object literals (no spread): this runs once per point of every write.
      const inputs: PointInput[] = request.body.data_points.map((p, i) => ({
        metricId: metric.id,
        periodStart: p.date ?? p.period_start,
        periodEnd: p.date ?? p.period_end,
        value: p.value,
        coordinates: p.coordinates,
        notes: p.notes,
        path: `data_points[${i}]`,
      }));
      const { rows, inserted, updated, unchanged } = await writePoints(storage, request.actor, inputs, [
        metric,
      ]);
      notePointsWritten(request, inserted + updated);
      const counts = { received: inputs.length, inserted, updated, unchanged };
      if (preference(request.headers.prefer, 'return')?.toLowerCase() === 'minimal') {
        reply.header('preference-applied', 'return=minimal');
        return counts;
      }
      return { ...counts, data_points: rows.map(toStoredPoint) };
    },
  );

  app.delete(
    '/metrics/:id/data_points/:point_id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'deleteDataPoint',
        summary: 'Delete a data point by id',
        params: PointParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await getMetric(storage, request.actor.orgId, request.params.id);
      notePointsWritten(
        request,
        await deletePoints(storage, request.actor, [
          { metricId: request.params.id, id: request.params.point_id, path: 'point_id' },
        ]),
      );
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/metrics/:id/data_points',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'deleteDataPointAt',
        summary: 'Delete the data point at a period and coordinates',
        params: MetricParams,
        querystring: Type.Object({
          date: Type.Optional(Type.String()),
          period_start: Type.Optional(Type.String()),
          period_end: Type.Optional(Type.String()),
          coordinates: Type.Optional(Type.String()),
        }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await getMetric(storage, request.actor.orgId, request.params.id);
      const q = request.query;
      notePointsWritten(
        request,
        await deletePoints(storage, request.actor, [
          {
            ...toInput(request.params.id, q, 0),
            path: 'query',
            coordinates: parseCoordinates(q.coordinates),
          },
        ]),
      );
      return reply.code(204).send(null);
    },
  );
};
