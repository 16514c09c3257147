import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyContextConfig } from 'fastify';
import { createMetric, getMetric, listMetricsPage } from '../../core/metrics.ts';
import { readPointsPage } from '../../core/points/read.ts';
import { toStoredPoint } from '../../core/points/stored-point.ts';
import { writePoints } from '../../core/points/write.ts';
import { notePointsWritten } from '../../http/write-metrics.ts';
import { metricInputFromVisible, pageMeta, splitIds, toVisibleMetric, toVisiblePoint } from './mapping.ts';
import {
  DataPoint,
  DataPointsQuery,
  errorResponses,
  Meta,
  Metric,
  MetricCreate,
  MetricParams,
  PageQuery,
  UpsertBody,
} from './schemas.ts';

// Length: a route plugin is the list of its routes, each with its schema declared inline
// (it feeds the OpenAPI document); the handlers themselves are a few lines each.

const tags = ['Visible'];
/** Visible's own limit, applied when KPIHUB_VENDOR_RATE_LIMITS is on: 300 requests per 5 minutes per token. */
const VISIBLE_RATE_LIMIT = { max: 300, timeWindow: 5 * 60 * 1000 };
export const VISIBLE_MAX_POINTS = 50;

export const visibleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage, config } = app.services;
  // Set on each route: the rate-limit plugin reads a route's limit before onRoute hooks here run.
  const rateLimit = config.rateLimit.vendorLimits ? VISIBLE_RATE_LIMIT : undefined;
  const read: FastifyContextConfig = { dialect: 'visible', scope: 'read', ...(rateLimit && { rateLimit }) };
  const write: FastifyContextConfig = { dialect: 'visible', scope: 'write', ...(rateLimit && { rateLimit }) };

  app.put(
    '/metrics/:metric_id/data_points',
    {
      config: write,
      schema: {
        tags,
        operationId: 'visibleUpsertDataPoints',
        summary: 'Upsert Data Points',
        description:
          'Create or update multiple data points for a metric (limited to up to 50 data points per request).',
        params: MetricParams,
        body: UpsertBody(VISIBLE_MAX_POINTS),
        response: { 200: Type.Object({ data_points: Type.Array(DataPoint) }), ...errorResponses },
      },
    },
    async (request) => {
      const metric = await getMetric(storage, request.actor.orgId, request.params.metric_id);
      const { rows, inserted, updated } = await writePoints(
        storage,
        request.actor,
        request.body.data_points.map((p, i) => ({
          metricId: metric.id,
          periodStart: p.date,
          periodEnd: p.date,
          value: p.value,
          path: `data_points[${i}]`,
        })),
        [metric],
      );
      notePointsWritten(request, inserted + updated);
      return { data_points: rows.map((r) => toVisiblePoint(toStoredPoint(r))) };
    },
  );

  app.get(
    '/data_points',
    {
      config: read,
      schema: {
        tags,
        operationId: 'visibleListDataPoints',
        summary: 'List Data Points',
        querystring: DataPointsQuery,
        response: { 200: Type.Object({ data_points: Type.Array(DataPoint), meta: Meta }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = q.page ?? 1;
      const size = q.page_size ?? 25;
      const { items, total } = await readPointsPage(storage, request.actor.orgId, {
        metricIds: splitIds(q.metric_id),
        from: q.start_date,
        to: q.end_date,
        excludeBlank: q.exclude_blank,
        page,
        size,
      });
      return {
        data_points: items.map(toVisiblePoint),
        meta: pageMeta(page, size, total),
      };
    },
  );

  // GET /metrics is also where Prometheus scrapes; a request with credentials is Visible's.
  app.get(
    '/metrics',
    {
      config: read,
      constraints: { credentials: 'present' },
      schema: {
        tags,
        operationId: 'visibleListMetrics',
        summary: 'List Metrics',
        querystring: PageQuery,
        response: { 200: Type.Object({ metrics: Type.Array(Metric), meta: Meta }), ...errorResponses },
      },
    },
    async (request) => {
      const page = request.query.page ?? 1;
      const size = request.query.page_size ?? 25;
      const { items, total } = await listMetricsPage(storage, request.actor.orgId, { page, size });
      return {
        metrics: items.map(toVisibleMetric),
        meta: pageMeta(page, size, total),
      };
    },
  );

  app.post(
    '/metrics',
    {
      config: write,
      schema: {
        tags,
        operationId: 'visibleCreateMetric',
        summary: 'Create Metric',
        body: MetricCreate,
        response: { 201: Type.Object({ metric: Metric }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const metric = await createMetric(storage, request.actor, null, metricInputFromVisible(request.body));
      return reply.code(201).send({ metric: toVisibleMetric(metric) });
    },
  );
};
