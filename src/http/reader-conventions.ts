import { constants } from 'node:zlib';
import compress from '@fastify/compress';
import etag from '@fastify/etag';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listsTag, tagHash } from './entity-tags.ts';

// What HTTP clients that read expect: bodies compressed when they ask for it and it pays,
// and validators so a repeated GET of an unchanged resource costs a 304 and no body.

/** Bodies smaller than this are sent as they are: compressing them costs more than it saves. */
export const COMPRESS_THRESHOLD_BYTES = 1024;

/**
 * The types worth compressing: @fastify/compress's own list (text, JSON, XML, octet-stream)
 * and NDJSON, which it does not know (the data point exports send it).
 */
const COMPRESSIBLE =
  /^text\/(?!event-stream)|(?:\+|\/)json(?:;|$)|\/x-ndjson(?:;|$)|(?:\+|\/)text(?:;|$)|(?:\+|\/)xml(?:;|$)|octet-stream(?:;|$)/u;

/**
 * Registers compression (br or gzip, as the client's Accept-Encoding prefers) and ETags.
 * The ETag is weak (W/"…"): it names the representation's content whatever its encoding.
 * Call before the routes are registered.
 */
export async function registerReaderConventions(app: FastifyInstance): Promise<void> {
  // Hooks run in registration order: the ETag is computed from the uncompressed body, and
  // the 304 decided, before the body is compressed.
  await app.register(etag, { weak: true, replyWith304: false, hashFn: tagHash });
  app.addHook('onSend', notModified);
  await app.register(compress, {
    global: true,
    threshold: COMPRESS_THRESHOLD_BYTES,
    encodings: ['br', 'gzip'],
    customTypes: COMPRESSIBLE,
    // Quality 4 compresses JSON nearly as well as the default 11 at a fraction of its CPU.
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
}

/**
 * A GET (or HEAD) answered 200 whose ETag the client already holds (If-None-Match) becomes
 * 304 with no body. The plugin's own 304 is off: it would also answer writes and errors.
 */
async function notModified(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if ((request.method !== 'GET' && request.method !== 'HEAD') || reply.statusCode !== 200) return payload;
  const tag = reply.getHeader('etag');
  const given = request.headers['if-none-match'];
  if (typeof tag !== 'string' || typeof given !== 'string' || !listsTag(given, tag)) return payload;
  reply.code(304);
  return '';
}
