import type { LoggerOptions } from 'pino';
import type { Config } from './config.ts';

// Secrets never reach the logs: credentials headers are redacted wherever they appear.
export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'headers.authorization',
        'headers["x-api-key"]',
        'secret',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  };
}
