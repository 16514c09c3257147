import { createReadStream } from 'node:fs';
import type { ImportView } from '../core/import-view.ts';
import type { ColumnMapping, ImportFormat } from '../core/imports/column-mapping.ts';
import { apiClient, type Connection, dataOf } from './api-client.ts';

// The HTTP side of `kpihub import`: a running KPI Hub's native API, through the typed client.
// Nothing here touches the database or the server code (only its types): the command may
// run on another machine than the server.

export interface ImportRequest {
  format?: ImportFormat;
  header?: boolean;
  dryRun?: boolean;
  mapping?: ColumnMapping;
}

const CONTENT_TYPES: Record<ImportFormat, string> = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
};

/**
 * POST /v1/imports with the file as the raw body, streamed from disk: the file is never
 * held in memory whole. `onChunk` sees each piece as it is handed to the socket.
 */
export async function uploadImport(
  conn: Connection,
  path: string,
  req: ImportRequest,
  onChunk?: (chunk: Buffer) => void,
): Promise<ImportView> {
  async function* body(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      onChunk?.(chunk);
      yield chunk;
    }
  }
  const answer = await apiClient(conn).POST('/v1/imports', {
    params: {
      query: {
        format: req.format,
        header: req.header === false ? false : undefined,
        dry_run: req.dryRun ? true : undefined,
        mapping: req.mapping ? JSON.stringify(req.mapping) : undefined,
      },
    },
    headers: { 'content-type': req.format ? CONTENT_TYPES[req.format] : 'application/octet-stream' },
    // The file goes as the raw body, as it is read: no serializing, never held whole.
    body: body() as unknown as string,
    bodySerializer: (b: unknown) => b as RequestInit['body'],
    // A streamed request body must say so (fetch's rule for bodies that are not buffered).
    duplex: 'half',
    // Otherwise fetch clones the request to be able to follow a redirect, teeing the body:
    // the unread branch kept every chunk sent, a 100 MB file cost 100 MB of memory.
    redirect: 'error',
  } as Parameters<ReturnType<typeof apiClient>['POST']>[1] & { duplex: 'half' });
  return dataOf(answer);
}

/** GET /v1/imports/{id}: the job with its status, counts, progress and errors. */
export async function getImport(conn: Connection, id: string): Promise<ImportView> {
  return dataOf(await apiClient(conn).GET('/v1/imports/{id}', { params: { path: { id } } }));
}

export { ApiError, type Connection } from './api-client.ts';
