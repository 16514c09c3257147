import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AGGREGATES } from '../../core/rollups/accumulator.ts';
import { datasetSummary } from '../../core/rollups/summary.ts';
import { Nullable, StringEnum } from '../schema-helpers.ts';
import { errorResponses, IdParams } from './schemas.ts';

// Length: one route, its schema declared inline (it feeds the OpenAPI document).

const Period = Type.Object({ period_start: Type.String(), value: Nullable(Type.String()) });

const MetricSummary = Type.Object({
  metric_id: Type.String(),
  name: Type.String(),
  unit: Nullable(Type.String()),
  value_type: Type.String(),
  granularity: Type.String({ description: "The metric's frequency as a period (monthly when it has none)" }),
  agg: Type.String(),
  latest: Nullable(Type.Object({ period_start: Type.String(), value: Type.String(), count: Type.Integer() })),
  previous: Nullable(Period),
  change: Nullable(
    Type.Object({
      absolute: Type.String(),
      percent: Nullable(
        Type.String({ description: 'Rounded to 2 decimals; null when the previous value is 0' }),
      ),
    }),
  ),
  sparkline: Type.Array(Period, {
    description: 'The last `periods` periods, oldest first; null where no data',
  }),
  last_write_at: Nullable(Type.String()),
  last_write_by: Nullable(Type.String()),
});

/** A page of KPI cards: every metric of a dataset summarized in one call. */
export const summaryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/datasets/:id/summary',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['datasets'],
        operationId: 'getDatasetSummary',
        namedResponses: { 200: 'Summary' },
        summary: "Each metric's latest value, the period before, the change, a sparkline and its last change",
        description:
          "Periods follow each metric's frequency (monthly when it has none). The aggregate is each metric's own unless `agg` is given: a percentage's average, the sum of other numbers, the last value of anything else.",
        params: IdParams,
        querystring: Type.Object({
          periods: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 12 })),
          agg: Type.Optional(StringEnum(AGGREGATES)),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 100 })),
        }),
        response: {
          200: Type.Object({
            dataset_id: Type.String(),
            items: Type.Array(MetricSummary),
            next_cursor: Nullable(Type.String()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      datasetSummary(app.services.storage, app.services.reader, request.actor.orgId, request.params.id, {
        periods: request.query.periods ?? 12,
        agg: request.query.agg,
        cursor: request.query.cursor,
        limit: request.query.limit ?? 100,
      }),
  );
};
