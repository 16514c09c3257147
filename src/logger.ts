import type { LoggerOptions } from 'pino';
import type { Config } from './config.ts';

// Secrets never reach the logs: credentials headers and cookies are redacted wherever they appear.
export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'headers.authorization',
        'headers["x-api-key"]',
        // Session tokens, in the request's cookie and the sign-in's Set-Cookie.
        'req.headers.cookie',
        'headers.cookie',
        'res.headers["set-cookie"]',
        'headers["set-cookie"]',
        // A key sent in a sign-in body.
        'api_key',
        '*.api_key',
        'secret',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  };
}
