import type { Readable } from 'node:stream';
import type { Config } from '../config.ts';
import type { KeyAuthenticator } from '../core/api-keys.ts';
import type { Storage } from '../core/ports/index.ts';
import type { SessionAuthenticator } from '../core/sessions.ts';
import type { Enqueued, EnqueueOptions } from '../jobs/job-insert.ts';
import type { SpooledFile } from '../jobs/spool.ts';
import type { ConnectionUse } from '../store/engine/types.ts';
import type { QueueCount } from '../store/queue-stats.ts';

/** Accepting work for later: the job and its payload, committed before the answer. */
export interface JobService {
  enqueue(opts: EnqueueOptions): Promise<Enqueued>;
  /** A request body spooled to a file under the data directory (TooLarge beyond `maxBytes`). */
  spool(source: Readable | AsyncIterable<Uint8Array>, maxBytes: number): Promise<SpooledFile>;
}

/** Whether the database answers (the /ready check); rejects when it does not. */
export interface HealthService {
  databaseAnswers(): Promise<void>;
  /** The queue's unfinished jobs by kind and status, every organization's (/metrics, /ready). */
  queueCounts(): Promise<QueueCount[]>;
  /** Months whose rollups wait to be recomputed, every organization's (/metrics). */
  rollupBacklog(): Promise<number>;
  /** This process's database connections: in use, idle, waited for (/metrics). */
  connectionUse(): ConnectionUse;
}

// What every route plugin can reach through the app instance: core's storage (the writer,
// and the reader that never waits behind a write), and small named services. Built once in
// src/http/app.ts.
export interface Services {
  config: Config;
  storage: Storage;
  reader: Storage;
  authenticator: KeyAuthenticator;
  /** Browser sessions (the `kpihub_session` cookie) of the native API. */
  sessions: SessionAuthenticator;
  jobs: JobService;
  health: HealthService;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}
