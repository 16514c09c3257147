import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { bootstrap } from './core/bootstrap.ts';
import { startRollupRefresher } from './core/rollups/refresher.ts';
import { buildApp } from './http/app.ts';
import { jobHandlers } from './job-handlers.ts';
import { startWorkers } from './jobs/index.ts';
import { sweepSpoolAtStart } from './jobs/spool-sweep.ts';
import { openStore, type Store } from './store/database.ts';
import { migrateToLatest } from './store/migrate.ts';
import { startStatisticsRefresher } from './store/statistics.ts';
import { createStorage } from './store/storage.ts';

export interface Running {
  app: FastifyInstance;
  store: Store;
  url: string;
  stop(): Promise<void>;
}

// Rollups are recomputed a second after writes to a month stop (see core/rollups/refresher.ts).
const ROLLUP_REFRESH = { intervalMs: 500, quietMs: 1000, batch: 500 };

/** Opens the database, migrates it, makes the first admin key if there is none, and listens. */
export async function startServer(config: Config): Promise<Running> {
  // The app's logger exists only after buildApp: a checkpoint error before then waits for it.
  let log: FastifyBaseLogger | undefined;
  const early: string[] = [];
  const checkpointFailed = (message: string) =>
    log ? log.warn({ err: message }, 'background WAL checkpoint failed') : early.push(message);
  const store = openStore(config.database, {
    role: 'api',
    checkpointInBackground: true,
    onCheckpointError: checkpointFailed,
  });
  await migrateToLatest(store);
  const boot = await bootstrap(createStorage(store), config.adminKey);
  const app = await buildApp({ config, store });
  log = app.log;
  for (const message of early.splice(0)) checkpointFailed(message);
  await sweepSpoolAtStart(config, store, app.log);
  if (boot.secret && boot.generated) {
    // Printed to the terminal, never logged: it is the only time the secret is shown.
    process.stdout.write(
      `\nKPI Hub created organization ${boot.orgId} and an admin API key.\n` +
        `Keep it now, it is not shown again:\n\n    ${boot.secret}\n\n` +
        `Dashboard: open http://${config.host}:${config.port}/ and sign in with it.\n` +
        `Try: curl -H "Authorization: Bearer <key>" http://${config.host}:${config.port}/v1/datasets\n\n`,
    );
  }
  const url = await app.listen({ host: config.host, port: config.port });
  // npm start: a worker beside the API in the same process (KPIHUB_WORKERS=0 turns it off).
  const workers = config.workers > 0 ? startWorkers(config, store, jobHandlers, app.log) : undefined;
  const rollups = startRollupRefresher(createStorage(store), {
    ...ROLLUP_REFRESH,
    onError: (err) => app.log.warn({ err }, 'rollup refresh failed; reads recompute what it missed'),
  });
  const statistics = startStatisticsRefresher(store, app.log);
  return {
    app,
    store,
    url,
    async stop() {
      // In-flight requests finish (Fastify stops listening and waits for them) while the
      // workers hand their running jobs back; the caller bounds it (KPIHUB_SHUTDOWN_TIMEOUT).
      await Promise.all([app.close(), workers?.stop()]);
      statistics.stop();
      await rollups.stop();
      await store.close();
    },
  };
}
