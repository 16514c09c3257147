import { createReadStream } from 'node:fs';
import type { ImportView } from '../core/import-view.ts';
import type { ColumnMapping, ImportFormat } from '../core/imports/column-mapping.ts';

// The HTTP side of `kpihub import`: a running KPI Hub's native API, reached with fetch.
// Nothing here touches the database or the server code (only its types): the command may
// run on another machine than the server.

export interface Connection {
  /** Base URL of the server, e.g. http://127.0.0.1:8080 (a path prefix is kept). */
  url: string;
  key: string;
}

export interface ImportRequest {
  format?: ImportFormat;
  header?: boolean;
  dryRun?: boolean;
  mapping?: ColumnMapping;
}

/** An answer other than 2xx: the native API's problem+json, or whatever the server sent. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const CONTENT_TYPES: Record<ImportFormat, string> = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
};

export function endpoint(conn: Connection, path: string, query?: URLSearchParams): URL {
  const base = conn.url.endsWith('/') ? conn.url : `${conn.url}/`;
  const url = new URL(path, base);
  if (query) url.search = query.toString();
  return url;
}

/** fetch with the key; a server that cannot be reached is an Error saying why. */
export async function request(conn: Connection, url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${conn.key}` },
    });
  } catch (e) {
    // fetch says only "fetch failed"; the cause (ECONNREFUSED, a closed socket...) is the news.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
}

/** The ApiError for an answer other than 2xx, from its body (`text`). */
export function apiError(res: Response, text: string): ApiError {
  let body: { title?: string; detail?: string; errors?: { field: string; message: string }[] } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not the native API's problem+json (a proxy's page, say): its first line will do.
  }
  const errors = Array.isArray(body.errors) ? body.errors : [];
  // With a list of errors, the detail only repeats it: the title heads the list instead.
  const detail =
    (errors.length ? body.title : body.detail) ??
    body.title ??
    (text.split('\n')[0].slice(0, 200) || res.statusText);
  return new ApiError(res.status, `${res.status} ${detail}`, errors);
}

async function send(conn: Connection, url: URL, init: RequestInit): Promise<ImportView> {
  const res = await request(conn, url, init);
  const text = await res.text();
  if (res.ok) return JSON.parse(text) as ImportView;
  throw apiError(res, text);
}

/**
 * POST /v1/imports with the file as the raw body, streamed from disk: the file is never
 * held in memory whole. `onChunk` sees each piece as it is handed to the socket.
 */
export function uploadImport(
  conn: Connection,
  path: string,
  req: ImportRequest,
  onChunk?: (chunk: Buffer) => void,
): Promise<ImportView> {
  const query = new URLSearchParams();
  if (req.format) query.set('format', req.format);
  if (req.header === false) query.set('header', 'false');
  if (req.dryRun) query.set('dry_run', 'true');
  if (req.mapping) query.set('mapping', JSON.stringify(req.mapping));
  async function* body(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      onChunk?.(chunk);
      yield chunk;
    }
  }
  return send(conn, endpoint(conn, 'v1/imports', query), {
    method: 'POST',
    headers: { 'content-type': req.format ? CONTENT_TYPES[req.format] : 'application/octet-stream' },
    body: body(),
    // A streamed request body must say so (fetch's rule for bodies that are not buffered).
    duplex: 'half',
    // Otherwise fetch clones the request to be able to follow a redirect, teeing the body:
    // the unread branch kept every chunk sent, a 100 MB file cost 100 MB of memory.
    redirect: 'error',
    window: null,
  } as RequestInit);
}

/** GET /v1/imports/{id}: the job with its status, counts, progress and errors. */
export function getImport(conn: Connection, id: string): Promise<ImportView> {
  return send(conn, endpoint(conn, `v1/imports/${encodeURIComponent(id)}`), { method: 'GET' });
}
