import type { Config } from '../config.ts';
import type { KeyAuthenticator } from '../core/api-keys.ts';
import type { Storage } from '../core/ports/index.ts';
import type { Store } from '../store/database.ts';

// What every route plugin can reach through the app instance.
export interface Services {
  config: Config;
  store: Store;
  /** Core's storage over the store's writer connection. */
  storage: Storage;
  /** Core's storage over the store's read connection (the last committed state). */
  reader: Storage;
  authenticator: KeyAuthenticator;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}
