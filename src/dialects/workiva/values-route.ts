import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { decodeCursor } from '../../core/paging.ts';
import { getDatasetMetric } from '../../core/points/batch-acceptance.ts';
import { readPoints } from '../../core/points/read.ts';
import { toMetricValue, valuesPath } from './mapping.ts';
import { baseUrl, deprecated, tags } from './route-common.ts';
import { errorResponses, ReadHeaders, ValuesPage, ValuesParams, ValuesQuery } from './schemas.ts';

const PAGE_SIZE = 100;

/** GET …/programs/:programId/metrics/:metricId/values: a metric's values, a page at a time. */
export const valuesRoute: FastifyPluginAsyncTypebox = async (app) => {
  const { storage } = app.services;

  app.get(
    '/prototype/platform/programs/:programId/metrics/:metricId/values',
    {
      config: { scope: 'read' },
      onSend: deprecated,
      schema: {
        tags,
        operationId: 'workivaListValues',
        summary: 'Retrieve a list of metric values',
        deprecated: true,
        headers: ReadHeaders,
        params: ValuesParams,
        querystring: ValuesQuery,
        response: { 200: ValuesPage, ...errorResponses },
      },
    },
    async (request) => {
      const { programId, metricId } = request.params;
      const { orgId } = request.actor;
      const next = request.query.$next;
      // Core's cursor rule, before the metric is looked up: a cursor we did not give is a 400.
      decodeCursor(next);
      await getDatasetMetric(storage, orgId, programId, metricId);
      const limit = request.query.$maxpagesize ?? PAGE_SIZE;
      const page = await readPoints(storage, orgId, metricId, { cursor: next, limit });
      const out: { data: ReturnType<typeof toMetricValue>[]; '@nextLink'?: string } = {
        data: page.items.map(toMetricValue),
      };
      if (page.next_cursor) {
        out['@nextLink'] =
          `${baseUrl(request)}${valuesPath(programId, metricId)}?$maxpagesize=${limit}&$next=${encodeURIComponent(page.next_cursor)}`;
      }
      return out;
    },
  );
};
