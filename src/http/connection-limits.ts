import type { Server } from 'node:http';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

// Every phase of a request has a deadline, so a client that sends slowly (or not at all)
// cannot hold a connection forever, and a cap on connections keeps many such clients from
// taking every socket the process has:
//   headers   KPIHUB_HEADERS_TIMEOUT_MS  the request line and headers
//   request   KPIHUB_REQUEST_TIMEOUT_MS  the whole request, body included (uploads are big:
//             generous by default); Node answers 408 and closes the connection
//   idle      KPIHUB_IDLE_TIMEOUT_MS     a socket with no bytes either way (and keep-alive)
//   count     KPIHUB_MAX_CONNECTIONS     beyond it a new connection is closed at once

/** The Fastify options that set the deadlines (the server is created with them). */
export function connectionOptions(config: Config): FastifyHttpOptions<Server> {
  const limits = config.connections;
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks the header and request deadlines on this interval (30 s by default),
      // so a short deadline would otherwise be overrun by up to 30 s.
      connectionsCheckingInterval: Math.max(
        100,
        Math.min(30_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
      ),
    },
  };
}

/** What can only be set on the server once it exists. */
export function applyConnectionLimits(app: FastifyInstance, config: Config): void {
  app.server.maxConnections = config.connections.maxConnections;
}
