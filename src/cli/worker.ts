import type { Command } from 'commander';
import { pino } from 'pino';
import type { Config } from '../config.ts';
import { jobHandlers } from '../job-handlers.ts';
import { startWorkers, Worker } from '../jobs/index.ts';
import { sweepSpoolAtStart } from '../jobs/spool-sweep.ts';
import { loggerOptions } from '../logger.ts';
import { openStore } from '../store/database.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { stopOnSignal } from './shutdown.ts';

/**
 * `kpihub worker`: job workers without the API, for deployments that scale them apart.
 * Any number of them, on any machines, may share one PostgreSQL (or one SQLite file).
 */
export function registerWorkerCommand(program: Command, config: () => Config): void {
  program
    .command('worker')
    .description('run job workers alone (KPIHUB_WORKERS of them, at least one)')
    .option('--once', 'run the jobs that are due, then exit')
    .action(async (opts: { once?: boolean }) => {
      const cfg = config();
      const logger = pino(loggerOptions(cfg));
      const store = openStore(cfg.database, {
        role: 'worker',
        // Each job pins a connection and reads its payload and metrics beside it.
        minPoolSize: Math.max(1, cfg.workers) + 2,
        checkpointInBackground: !opts.once,
        onCheckpointError: (message) => logger.warn({ err: message }, 'background WAL checkpoint failed'),
      });
      await migrateToLatest(store);
      await sweepSpoolAtStart(cfg, store, logger);
      if (opts.once) {
        const n = await new Worker({
          store,
          handlers: jobHandlers,
          logger,
          webhookTargets: cfg.webhookTargets,
        }).drain();
        logger.info({ jobs: n }, 'due jobs done');
        await store.close();
        return;
      }
      const workers = startWorkers(cfg, store, jobHandlers, logger, { ownConnection: false });
      logger.info({ workerId: workers.worker.id, concurrency: Math.max(1, cfg.workers) }, 'worker started');
      stopOnSignal(logger, cfg.shutdownTimeoutSeconds, async () => {
        await workers.stop();
        await store.close();
      });
    });
}
