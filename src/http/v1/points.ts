import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Invalid } from '../../core/errors.ts';
import { getMetric } from '../../core/metrics.ts';
import type { PointInput } from '../../core/points/point-input.ts';
import { pointRevisions, readPoints } from '../../core/points/read.ts';
import { AGGREGATES, series } from '../../core/points/series.ts';
import { toStoredPoint } from '../../core/points/stored-point.ts';
import { deletePoints, writePoints } from '../../core/points/write.ts';
import { preference } from '../prefer.ts';
import { Nullable, StringEnum } from '../schema-helpers.ts';
import { errorResponses, PageQuery, pageOf, Timestamp, Uuid } from './schemas.ts';

const tags = ['data points'];

const PointIn = Type.Object({
  date: Type.Optional(Type.String({ description: 'A one-day period (YYYY-MM-DD)' })),
  period_start: Type.Optional(Type.String({ description: 'YYYY-MM-DD' })),
  period_end: Type.Optional(Type.String({ description: 'YYYY-MM-DD; defaults to period_start' })),
  value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
  coordinates: Type.Optional(Nullable(Type.Record(Type.String(), Type.String()))),
  notes: Type.Optional(Nullable(Type.String())),
});

const PointOut = Type.Object({
  id: Uuid,
  metric_id: Uuid,
  period_start: Type.String(),
  period_end: Type.String(),
  coordinates: Nullable(Type.Record(Type.String(), Type.String())),
  value: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  status: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: Nullable(Type.String()),
  updated_by: Nullable(Type.String()),
});

const Count = (description: string) => Type.Integer({ minimum: 0, description });

// The counts always; the points unless the client sent `Prefer: return=minimal`.
const WriteAnswer = Type.Object({
  received: Count('points in the request'),
  inserted: Count('inputs that created a point (or wrote one again after its delete)'),
  updated: Count('inputs that changed a point (value, notes, status, data source or task)'),
  unchanged: Count('inputs equal to the point as stored (nothing written, no revision)'),
  data_points: Type.Optional(Type.Array(PointOut)),
});

const Revision = Type.Object({
  id: Type.Integer(),
  op: Type.String(),
  old_value: Nullable(Type.String()),
  new_value: Nullable(Type.String()),
  actor: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  job_id: Nullable(Type.String()),
  changed_at: Timestamp,
});

const MetricParams = Type.Object({ id: Uuid });
const PointParams = Type.Object({ id: Uuid, point_id: Uuid });

const RangeQuery = {
  // A calendar date (PostgreSQL compares these with a date column and would fail on others).
  from: Type.Optional(Type.String({ format: 'date', description: 'first period start (YYYY-MM-DD)' })),
  to: Type.Optional(Type.String({ format: 'date', description: 'last period start (YYYY-MM-DD)' })),
  coordinates: Type.Optional(
    Type.String({ description: 'JSON object of dimension (id or name) → member, e.g. {"region":"EU"}' }),
  ),
  as_of: Type.Optional(
    Type.String({ format: 'date-time', description: 'read the values as they were then' }),
  ),
};

function parseCoordinates(
  raw: string | undefined,
  field = 'coordinates',
): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw);
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.values(v).every((m) => typeof m === 'string')
    ) {
      return v;
    }
  } catch {}
  throw new Invalid([{ field, message: 'must be a JSON object of strings', in: 'query' }], true);
}

const toInput = (
  metricId: string,
  p: { date?: string; period_start?: string; period_end?: string },
  i: number,
) => ({
  metricId,
  periodStart: p.date ?? p.period_start,
  periodEnd: p.date ?? p.period_end,
  path: `data_points[${i}]`,
});

export const pointRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage, config } = app.services;

  app.put(
    '/metrics/:id/data_points',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Upsert data points of a metric (all or nothing)',
        params: MetricParams,
        body: Type.Object({
          data_points: Type.Array(PointIn, { minItems: 1, maxItems: config.nativeMaxPoints }),
        }),
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
      const counts = { received: inputs.length, inserted, updated, unchanged };
      if (preference(request.headers.prefer, 'return')?.toLowerCase() === 'minimal') {
        reply.header('preference-applied', 'return=minimal');
        return counts;
      }
      return { ...counts, data_points: rows.map(toStoredPoint) };
    },
  );

  app.get(
    '/metrics/:id/data_points',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'List data points (period range, dimension filters, as_of)',
        params: MetricParams,
        querystring: Type.Object({ ...PageQuery, ...RangeQuery }),
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
      });
    },
  );

  app.get(
    '/metrics/:id/series',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'Values rolled up by month, quarter or year, with exact decimals',
        params: MetricParams,
        querystring: Type.Object({
          granularity: StringEnum(['day', 'week', 'month', 'quarter', 'year'] as const, { default: 'month' }),
          agg: StringEnum(AGGREGATES, { default: 'sum' }),
          ...RangeQuery,
        }),
        response: {
          200: Type.Object({
            granularity: Type.String(),
            agg: Type.String(),
            points: Type.Array(
              Type.Object({ period_start: Type.String(), value: Type.String(), count: Type.Integer() }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      return series(storage, request.actor.orgId, request.params.id, q.granularity, q.agg, {
        from: q.from,
        to: q.to,
        coordinates: parseCoordinates(q.coordinates),
        asOf: q.as_of,
      });
    },
  );

  app.delete(
    '/metrics/:id/data_points/:point_id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Delete a data point by id',
        params: PointParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await getMetric(storage, request.actor.orgId, request.params.id);
      await deletePoints(storage, request.actor, [
        { metricId: request.params.id, id: request.params.point_id, path: 'point_id' },
      ]);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/metrics/:id/data_points',
    {
      config: { scope: 'write' },
      schema: {
        tags,
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
      await deletePoints(storage, request.actor, [
        { ...toInput(request.params.id, q, 0), path: 'query', coordinates: parseCoordinates(q.coordinates) },
      ]);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/metrics/:id/data_points/:point_id/revisions',
    {
      config: { scope: 'read' },
      schema: {
        tags,
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
