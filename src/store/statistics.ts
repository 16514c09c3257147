import type { Logger } from 'pino';
import type { Store } from './database.ts';

// Planner statistics kept fresh by the service itself (engine.refreshStatistics), a minute
// apart: reads and writes must not depend on the server's autovacuum having caught up with a
// bulk load, or being on at all.

export function startStatisticsRefresher(
  store: Store,
  log: Pick<Logger, 'info' | 'warn'>,
  intervalMs = 60_000,
): { stop(): void } {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const tables = await store.engine.refreshStatistics(store.db);
      if (tables.length > 0) log.info({ tables }, 'planner statistics refreshed');
    } catch (err) {
      log.warn({ err }, 'refreshing planner statistics failed');
    } finally {
      running = false;
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
