/** The part of a pino logger shutdown uses. */
interface ShutdownLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * On SIGTERM or SIGINT: says so, runs `stop` (in-flight requests finish, running jobs are
 * handed back) and exits 0; exits 1 if that takes longer than KPIHUB_SHUTDOWN_TIMEOUT (a
 * request that never ends, a handler that never yields), so a process manager's stop is
 * never left waiting. A second signal ends the process at once (the handler is gone).
 */
export function stopOnSignal(log: ShutdownLogger, timeoutSeconds: number, stop: () => Promise<void>): void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log.info(
      { signal, timeoutSeconds },
      'shutting down: in-flight requests finish, running jobs are handed back to the queue',
    );
    setTimeout(() => {
      log.error({ timeoutSeconds }, 'shutdown took longer than KPIHUB_SHUTDOWN_TIMEOUT: exiting anyway');
      process.exit(1);
    }, timeoutSeconds * 1000).unref();
    stop().then(
      () => {
        log.info({}, 'stopped');
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
