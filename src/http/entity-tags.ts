import { createHash } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Precondition } from '../core/precondition.ts';

// ETags: the hash of a response body as sent (before compression). One function makes the
// tag a GET sends (reader-conventions.ts) and the tag an If-Match is checked against, so
// the two always agree.

/** The opaque part of a tag: base64 SHA-1 of the body. */
export const tagHash = (payload: string | Buffer): string =>
  createHash('sha1').update(payload).digest('base64');

const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/** Whether a list of tags (If-None-Match, If-Match) names `tag` or is `*`; compared weakly. */
export function listsTag(header: string, tag: string): boolean {
  const mine = opaque(tag);
  return header.split(',').some((t) => t.trim() === '*' || opaque(t) === mine);
}

/**
 * The request's If-Match as a precondition on the resource it changes, or undefined when
 * it sent none. The resource is serialized with `schema` (its GET's 200 schema) exactly as
 * a GET would send it, and hashed as the GET's ETag was. Tags are weak (a body may be
 * compressed), so If-Match compares weakly: it holds when the resource reads the same.
 */
export function ifMatch<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  schema: TSchema,
): Precondition<T> | undefined {
  const header = request.headers['if-match'];
  if (typeof header !== 'string') return undefined;
  return (current) =>
    listsTag(header, `"${tagHash(reply.serializeInput(current as Record<string, unknown>, schema))}"`);
}
