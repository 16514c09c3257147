import type { FastifyInstance, FastifyRequest } from 'fastify';
import { beginIdempotent, finishIdempotent, type Replay, requestHash } from '../core/idempotency.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Honour the Idempotency-Key header on this route. */
    idempotent?: boolean;
    /**
     * What the Idempotency-Key record keeps of an answer (and a replay sends), when not the
     * answer itself: one that holds a secret shown only once must not be stored with it.
     */
    idempotentRecord?: (sent: Replay) => Replay;
  }
  interface FastifyRequest {
    idempotencyKey?: string;
  }
}

const headerOf = (request: FastifyRequest): string | undefined => {
  const v = request.headers['idempotency-key'];
  return typeof v === 'string' ? v : undefined;
};

/**
 * Idempotency-Key for routes that opt in (`config.idempotent`): runs after the body is
 * validated, replays a finished answer, and stores the answer once it is sent.
 */
export function registerIdempotency(app: FastifyInstance): void {
  const { storage, config } = app.services;
  app.addHook('preHandler', async (request, reply) => {
    const key = headerOf(request);
    if (!key || !request.routeOptions.config.idempotent || !request.actor) return;
    const hash = requestHash([request.method, request.url, JSON.stringify(request.body ?? null)]);
    const replay = await beginIdempotent(
      storage,
      request.actor.orgId,
      key,
      hash,
      config.idempotencyWindowSeconds,
    );
    if (replay) {
      reply.header('idempotent-replayed', 'true');
      if (replay.contentType) reply.type(replay.contentType);
      return reply.code(replay.status).send(replay.body);
    }
    request.idempotencyKey = key;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyKey;
    if (!key) return payload;
    request.idempotencyKey = undefined;
    const sent: Replay = {
      status: reply.statusCode,
      body: typeof payload === 'string' ? payload : payload == null ? '' : String(payload),
      contentType: (reply.getHeader('content-type') as string | undefined) ?? null,
    };
    const record = request.routeOptions.config.idempotentRecord;
    await finishIdempotent(
      storage,
      request.actor.orgId,
      key,
      record && sent.status < 300 ? record(sent) : sent,
    );
    return payload;
  });
}
