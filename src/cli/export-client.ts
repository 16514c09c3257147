import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ExportFormat } from '../core/points/export-format.ts';
import { apiClient, apiError, type Connection } from './api-client.ts';

// The HTTP side of `kpihub export`: GET /v1/metrics/{id}/data_points/export or
// /v1/datasets/{id}/data_points/export, its body handed on as a stream (never held whole).

export interface ExportRequest {
  /** The points of one metric, or of every metric of a dataset. */
  of: { metric: string } | { dataset: string };
  format: ExportFormat;
  from?: string;
  to?: string;
  /** dimension id or name → member */
  coordinates?: Record<string, string>;
  asOf?: string;
}

/** Starts the export; resolves once the server answered 200, with the body to read. */
export async function openExport(conn: Connection, req: ExportRequest): Promise<Readable> {
  const query = {
    format: req.format,
    from: req.from,
    to: req.to,
    coordinates: req.coordinates ? JSON.stringify(req.coordinates) : undefined,
    as_of: req.asOf,
  };
  // fetch asks for gzip/br itself and inflates what comes: the bytes travel compressed.
  const client = apiClient(conn);
  const answer =
    'metric' in req.of
      ? await client.GET('/v1/metrics/{id}/data_points/export', {
          params: { path: { id: req.of.metric }, query },
          parseAs: 'stream',
        })
      : await client.GET('/v1/datasets/{id}/data_points/export', {
          params: { path: { id: req.of.dataset }, query },
          parseAs: 'stream',
        });
  if (!answer.response.ok || !answer.data) throw apiError(answer.response, answer.error);
  return Readable.fromWeb(answer.data as WebReadableStream<Uint8Array>);
}

/**
 * Counts the records of an export as its bytes go by: NDJSON lines, or CSV records (line
 * breaks outside quoted cells, less the header). A quote inside a quoted cell is doubled,
 * so toggling on every quote keeps the state right across any chunking.
 */
export class RecordCounter {
  private breaks = 0;
  private quoted = false;
  bytes = 0;

  constructor(private readonly format: ExportFormat) {}

  see(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.format === 'ndjson') {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.breaks++;
      return;
    }
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 34) this.quoted = !this.quoted;
      else if (c === 10 && !this.quoted) this.breaks++;
    }
  }

  /** Records seen so far (every record of our exports ends with a line break). */
  records(): number {
    return this.format === 'csv' ? Math.max(0, this.breaks - 1) : this.breaks;
  }
}
