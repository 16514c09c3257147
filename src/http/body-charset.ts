import type { FastifyInstance } from 'fastify';
import { UnsupportedMediaType } from '../core/errors.ts';

// Every body parser here (JSON, CSV, text, multipart) reads bytes as UTF-8. A body that
// declares another charset (utf-16, latin1…) would be read as something it is not, so it is
// refused once, before any parser runs, for every route: 415 in the route's dialect shape.
// US-ASCII is a subset of UTF-8 and reads the same.
const READABLE = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/** The `charset` parameter of a Content-Type, lower-cased and unquoted; undefined when absent. */
export function declaredCharset(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq !== -1 && param.slice(0, eq).trim().toLowerCase() === 'charset') {
      return param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
    }
  }
  return undefined;
}

export function registerCharsetCheck(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    // Only a body is read in a charset: a GET that carries the header alone is left alone.
    const hasBody =
      request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length']) > 0;
    if (!hasBody) return payload;
    const charset = declaredCharset(request.headers['content-type']);
    if (charset !== undefined && !READABLE.has(charset)) {
      throw new UnsupportedMediaType(`charset=${charset} is not supported: send the body as UTF-8`);
    }
    return payload;
  });
}
