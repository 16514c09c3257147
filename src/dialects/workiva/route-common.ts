import type { FastifyReply, FastifyRequest } from 'fastify';

// What every Workiva route shares: its OpenAPI tag, its polling hint and the deprecation
// headers the seed puts on its value routes.

export const tags = ['Workiva'];
/** Seconds a client should wait before polling an operation (and between polls). */
export const RETRY_AFTER = '1';
// RFC 9745 (a structured-field date) and RFC 8594 (an HTTP date), from the seed.
const DEPRECATION = `@${Date.UTC(2026, 1, 12) / 1000}`;
const SUNSET = new Date(Date.UTC(2027, 0, 31)).toUTCString();

export const baseUrl = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

export async function deprecated(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  reply.header('deprecation', DEPRECATION);
  reply.header('sunset', SUNSET);
  return payload;
}
