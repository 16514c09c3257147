import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type ExportFilter,
  exportDatasetPoints,
  exportMetricPoints,
  type PointExport,
} from '../../../core/points/export.ts';
import {
  EXPORT_CONTENT_TYPES,
  EXPORT_FORMATS,
  type ExportFormat,
  encodeExport,
} from '../../../core/points/export-format.ts';
import { StringEnum } from '../../schema-helpers.ts';
import { errorResponses, IdParams } from '../schemas.ts';
import { parseCoordinates } from './query.ts';
import { MetricParams, RangeQuery, tags } from './schemas.ts';

// Streaming exports of data points, a metric's or a whole dataset's, as CSV or NDJSON. The
// body is made page by page as the client reads it (a Readable over core's pages): any
// number of points in the memory of one page. @fastify/etag hashes only string and Buffer
// bodies, so a stream gets no ETag and is never buffered for one; compression, when the
// client asks for it, is a transform in the stream.

const ExportQuery = Type.Object({
  format: Type.Optional(
    StringEnum(EXPORT_FORMATS, {
      description:
        'csv or ndjson; without it the Accept header decides (text/csv, application/x-ndjson), else csv',
    }),
  ),
  ...RangeQuery,
});

type ExportQueryType = { format?: ExportFormat } & Partial<Record<keyof typeof RangeQuery, string>>;

const MEDIA_TYPES: Record<string, ExportFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
};

/**
 * The format an Accept header prefers (by q, then by order); csv when it names neither
 * (no header, `*\/*`, or only types we do not make: the URL asks for an export).
 */
export function negotiateFormat(accept: string | undefined): ExportFormat {
  let best: { format: ExportFormat; q: number } | undefined;
  for (const part of (accept ?? '').split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const format = MEDIA_TYPES[type];
    if (!format) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (Number.isFinite(q) && q > 0 && (!best || q > best.q)) best = { format, q };
  }
  return best?.format ?? 'csv';
}

const filterOf = (q: ExportQueryType): ExportFilter => ({
  from: q.from,
  to: q.to,
  coordinates: parseCoordinates(q.coordinates),
  asOf: q.as_of,
});

const response = {
  200: {
    description: 'The points, streamed: CSV (importable as it is) or NDJSON (one point a line)',
    content: {
      'text/csv': { schema: Type.String() },
      'application/x-ndjson': { schema: Type.String() },
    },
  },
  ...errorResponses,
};

const description =
  'Streams every matching point, any number, in constant memory: same filters as the listing ' +
  '(as_of reads the values as they were then; notes and status are the current ones). The CSV has ' +
  'the columns POST /v1/imports (and `kpihub import`) reads without a mapping: metric_id, ' +
  'metric_external_id, period_start, period_end, value, notes, status, coordinates.<dimension name>; ' +
  'an empty cell is null. Sent as an attachment (Content-Disposition).';

/** Sends the export as a stream with its type and file name; a HEAD gets the headers only. */
function sendExport(
  request: FastifyRequest,
  reply: FastifyReply,
  exp: PointExport,
  format: ExportFormat,
  name: string,
) {
  reply
    .header('content-type', EXPORT_CONTENT_TYPES[format])
    .header('content-disposition', `attachment; filename="${name}.${format}"`)
    .header('vary', 'accept')
    .header('cache-control', 'no-store');
  // A HEAD would otherwise read the whole export to throw it away.
  if (request.method === 'HEAD') return reply.send();
  // Not object mode: the pieces become bytes and the stream holds ~16 KB ahead of the socket,
  // so a slow client holds back the reading of pages.
  return reply.send(Readable.from(encodeExport(exp, format), { objectMode: false }));
}

/** The two exports differ only in what they read: a metric's points or a dataset's. */
const EXPORTS = [
  {
    path: '/metrics/:id/data_points/export',
    operationId: 'exportMetricDataPoints',
    summary: "Export a metric's data points as CSV or NDJSON (streamed)",
    description,
    params: MetricParams,
    read: exportMetricPoints,
    file: 'metric',
  },
  {
    path: '/datasets/:id/data_points/export',
    operationId: 'exportDatasetDataPoints',
    summary: 'Export the data points of every metric of a dataset as CSV or NDJSON (streamed)',
    description: `${description} Metric after metric, in the dataset's order.`,
    params: IdParams,
    read: exportDatasetPoints,
    file: 'dataset',
  },
] as const;

export const pointExportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { storage } = app.services;

  for (const { path, operationId, summary, description, params, read, file } of EXPORTS) {
    app.get(
      path,
      {
        config: { scope: 'read' },
        schema: {
          tags,
          operationId,
          summary,
          description,
          params,
          querystring: ExportQuery,
          produces: ['text/csv', 'application/x-ndjson'],
          response,
        },
      },
      async (request, reply) => {
        const q = request.query as ExportQueryType;
        const { id } = request.params as { id: string };
        const format = q.format ?? negotiateFormat(request.headers.accept);
        const exp = await read(storage, request.actor.orgId, id, filterOf(q));
        return sendExport(request, reply, exp, format, `${file}-${id}-data-points`);
      },
    );
  }
};
