import type { Config } from '../config.ts';
import type { KeyAuthenticator } from '../core/api-keys.ts';
import type { Store } from '../store/database.ts';

// What every route plugin can reach through the app instance.
export interface Services {
  config: Config;
  store: Store;
  authenticator: KeyAuthenticator;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}
