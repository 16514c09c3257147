import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { POINT_ORDERS, pointRevisions, readPoints } from '../../../core/points/read.ts';
import { AGGREGATES, series, TOP_DEFAULT } from '../../../core/points/series.ts';
import { StringEnum } from '../../schema-helpers.ts';
import { errorResponses, PageQuery, pageOf } from '../schemas.ts';
import { parseCoordinates } from './query.ts';
import { MetricParams, PointOut, PointParams, RangeQuery, Revision, tags } from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

const SeriesPoint = Type.Object({ period_start: Type.String(), value: Type.String(), count: Type.Integer() });

/** A metric's data points, its series and a point's revisions. */
export const pointReadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage } = app.services;

  app.get(
    '/metrics/:id/data_points',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'listDataPoints',
        summary: 'List data points (period range, dimension filters, as_of)',
        params: MetricParams,
        querystring: Type.Object({
          ...PageQuery,
          ...RangeQuery,
          order: StringEnum(POINT_ORDERS, {
            default: 'created',
            description:
              'created: the order points were first stored; period: oldest period first; -period: newest period first (then by period end and coordinates). A cursor pages only the order it came from.',
          }),
        }),
        response: { 200: pageOf(PointOut), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      return readPoints(storage, request.actor.orgId, request.params.id, {
        from: q.from,
        to: q.to,
        coordinates: parseCoordinates(q.coordinates),
        asOf: q.as_of,
        cursor: q.cursor,
        limit: q.limit ?? 50,
        order: q.order,
      });
    },
  );

  app.get(
    '/metrics/:id/series',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'getMetricSeries',
        namedResponses: { 200: 'Series' },
        summary:
          'Values rolled up by day, week, month, quarter or year, with exact decimals, optionally by dimension member',
        params: MetricParams,
        querystring: Type.Object({
          granularity: StringEnum(['day', 'week', 'month', 'quarter', 'year'] as const, { default: 'month' }),
          agg: StringEnum(AGGREGATES, { default: 'sum' }),
          ...RangeQuery,
          group_by: Type.Optional(
            Type.String({
              description: 'A dimension (id or name): one series per member, the top ones first',
            }),
          ),
          top: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 100,
              default: TOP_DEFAULT,
              description:
                'With group_by: members with a series of their own; the rest are one "other" series',
            }),
          ),
        }),
        response: {
          200: Type.Object({
            granularity: Type.String(),
            agg: Type.String(),
            points: Type.Array(SeriesPoint),
            group_by: Type.Optional(Type.String({ description: 'The dimension id' })),
            groups: Type.Optional(
              Type.Array(
                Type.Object({
                  member: Type.Union([Type.String(), Type.Null()]),
                  other: Type.Boolean(),
                  members: Type.Integer(),
                  value: Type.String(),
                  count: Type.Integer(),
                  points: Type.Array(SeriesPoint),
                }),
              ),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      return series(
        storage,
        request.actor.orgId,
        request.params.id,
        q.granularity,
        q.agg,
        {
          from: q.from,
          to: q.to,
          coordinates: parseCoordinates(q.coordinates),
          asOf: q.as_of,
          groupBy: q.group_by,
          top: q.top,
        },
        app.services.reader,
      );
    },
  );

  app.get(
    '/metrics/:id/data_points/:point_id/revisions',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        operationId: 'listDataPointRevisions',
        summary: 'Every change of a data point, oldest first',
        params: PointParams,
        response: { 200: Type.Object({ revisions: Type.Array(Revision) }), ...errorResponses },
      },
    },
    async (request) => ({
      revisions: await pointRevisions(
        storage,
        request.actor.orgId,
        request.params.id,
        request.params.point_id,
      ),
    }),
  );
};
