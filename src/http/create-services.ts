import type { Config } from '../config.ts';
import { KeyAuthenticator } from '../core/api-keys.ts';
import { SessionAuthenticator } from '../core/sessions.ts';
import { enqueueJob } from '../jobs/queue.ts';
import { spoolToFile } from '../jobs/spool.ts';
import type { Store } from '../store/database.ts';
import { pingDatabase } from '../store/ping.ts';
import { queueCounts, rollupBacklog } from '../store/queue-stats.ts';
import { createStorage } from '../store/storage.ts';
import type { Services } from './services.ts';

/** The services routes reach (app.services), over one open store. */
export function createServices(config: Config, store: Store): Services {
  const storage = createStorage(store, 'writer');
  const reader = createStorage(store, 'reader');
  return {
    config,
    storage,
    reader,
    authenticator: new KeyAuthenticator(reader, storage),
    sessions: new SessionAuthenticator(reader, storage),
    jobs: {
      enqueue: (opts) => enqueueJob(store, opts),
      spool: (source, maxBytes) => spoolToFile(source, { dir: config.dataDir, maxBytes }),
    },
    health: {
      databaseAnswers: () => pingDatabase(store),
      queueCounts: () => queueCounts(store.reader),
      rollupBacklog: () => rollupBacklog(store.reader),
      connectionUse: () => store.engine.connectionUse(),
    },
  };
}
