// Settings are read from the environment once, validated, and frozen. A bad value stops
// the start with a message that names the variable, instead of failing later at run time.
// Length: loadConfig reads every setting in one place, one statement each, on purpose.

import { fileURLToPath } from 'node:url';
import { parseAllowList, type TargetPolicy } from './core/webhook-targets.ts';

export type DatabaseUrl =
  | {
      engine: 'sqlite';
      path: string /** SQLite page cache, MB (KPIHUB_SQLITE_CACHE_MB). */;
      cacheMb?: number;
    }
  | {
      engine: 'postgres';
      connectionString: string;
      schema: string;
      /** Connections in each pool this process opens (KPIHUB_PG_POOL_SIZE). */
      poolSize?: number;
      /** application_name of its connections, before the process role (KPIHUB_PG_APPLICATION_NAME). */
      applicationName?: string;
    };

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly database: DatabaseUrl;
  readonly adminKey: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest JSON or CSV body accepted by a sync route, in bytes. */
  readonly bodyLimit: number;
  /** Native PUT data_points: the most points in one request. */
  readonly nativeMaxPoints: number;
  /** How long an Idempotency-Key is remembered, in seconds. */
  readonly idempotencyWindowSeconds: number;
  /** Requests per window per API key (generous by default: self-hosted scripts are not throttled). */
  readonly rateLimit: {
    readonly max: number;
    readonly windowMs: number;
    readonly vendorLimits: boolean;
    /** Sign-ins (POST /v1/session) per minute per client address, whatever their outcome. */
    readonly signInMax: number;
  };
  /** Shared rate-limit store for several API processes; undefined keeps counters in memory. */
  readonly redisUrl: string | undefined;
  /** Browser origins allowed to call the API (CORS); empty: none, and no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** Run an in-process worker beside the API (npm start does; `kpihub worker` runs workers alone). */
  readonly workers: number;
  readonly jobLeaseSeconds: number;
  readonly jobPollMs: number;
  readonly jobMaxAttempts: number;
  /** SIGTERM/SIGINT: how long the process may take to stop before it exits anyway, in seconds. */
  readonly shutdownTimeoutSeconds: number;
  /** How long an ended job's payload is kept before the worker deletes it, in seconds (0: at once). */
  readonly jobPayloadRetentionSeconds: number;
  /** /ready answers 503 once a due queued job has waited longer than this (seconds; 0: never). */
  readonly readyQueueMaxWaitSeconds: number;
  /** Where uploaded job payloads are spooled before they are stored. */
  readonly dataDir: string;
  /** The built dashboard (web/dist, from `npm run build:web`), served at / by src/http/web.ts. */
  readonly webDir: string;
  /** Largest file accepted by the file imports (AchieveIt CSV, POST /v1/imports), in bytes. */
  readonly importMaxBytes: number;
  /** Largest cell, row or JSON line in an imported file; beyond it the file is refused naming the line. */
  readonly importMaxFieldBytes: number;
  readonly analyticsDedupWindowSeconds: number;
  /** Largest Workiva batchUpsertion/batchDeletion body (the seed documents 10 MB). */
  readonly workivaMaxBytes: number;
  /** Most messages in one analytics batch (Vitally documents 100). */
  readonly analyticsMaxBatch: number;
  /**
   * Where webhooks may point: public addresses, plus the hosts and ranges of
   * KPIHUB_WEBHOOK_ALLOW_HOSTS; never this server's own HOST:PORT.
   */
  readonly webhookTargets: TargetPolicy;
  /** Deadlines of a request's phases and the most open connections (src/http/connection-limits.ts). */
  readonly connections: {
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly maxConnections: number;
  };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function intSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration: a whole number of seconds, or with a unit: `90s`, `30m`, `12h`, `7d`. */
function durationSetting(
  env: Env,
  name: string,
  fallbackSeconds: number,
  maxSeconds: number,
  minSeconds = 0,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackSeconds;
  const m = /^(\d+)([smhd]?)$/.exec(raw.trim());
  if (!m) throw new ConfigError(`${name} must be a duration like 0, 3600, 30m, 12h or 7d, got "${raw}"`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] || 's'];
  if (seconds > maxSeconds || seconds < minSeconds)
    throw new ConfigError(`${name} must be between ${minSeconds} and ${maxSeconds} seconds, got ${raw}`);
  return seconds;
}

/** A comma-separated list of origins (scheme://host[:port]), each checked and normalized. */
function originsSetting(env: Env, name: string): readonly string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return Object.freeze([]);
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of origins) {
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== o.replace(/\/$/, '')) {
      throw new ConfigError(`${name} must list origins like https://dash.example.com, got "${o}"`);
    }
  }
  return Object.freeze(origins.map((o) => new URL(o).origin));
}

function boolSetting(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function parseDatabaseUrl(raw: string): DatabaseUrl {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length);
    if (path === '') throw new ConfigError('KPIHUB_DATABASE_URL: sqlite: needs a path or :memory:');
    return Object.freeze({ engine: 'sqlite', path });
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError('KPIHUB_DATABASE_URL is not a valid postgres:// URL');
    }
    // `?schema=name` keeps KPI Hub's tables in their own schema of a shared database.
    const schema = url.searchParams.get('schema') ?? 'public';
    if (!/^[a-z_][a-z0-9_]*$/.test(schema))
      throw new ConfigError(`KPIHUB_DATABASE_URL: bad schema "${schema}"`);
    url.searchParams.delete('schema');
    return Object.freeze({ engine: 'postgres', connectionString: url.toString(), schema });
  }
  throw new ConfigError('KPIHUB_DATABASE_URL must start with sqlite: or postgres://');
}

/** Each engine's own settings, added to its parsed URL. */
function withEngineSettings(url: DatabaseUrl, env: Env): DatabaseUrl {
  if (url.engine === 'sqlite') {
    return Object.freeze({ ...url, cacheMb: intSetting(env, 'KPIHUB_SQLITE_CACHE_MB', 16, 1, 64 * 1024) });
  }
  return Object.freeze({
    ...url,
    poolSize: intSetting(env, 'KPIHUB_PG_POOL_SIZE', 10, 1, 1000),
    applicationName: applicationName(env),
  });
}

// PostgreSQL keeps 63 bytes of application_name and turns anything but printable ASCII into
// '?': refused here instead, with room left for the role suffix ("-worker").
function applicationName(env: Env): string {
  const name = 'KPIHUB_PG_APPLICATION_NAME';
  const raw = env[name];
  if (raw === undefined || raw === '') return 'kpihub';
  if (!/^[\x20-\x7e]{1,48}$/.test(raw))
    throw new ConfigError(`${name} must be 1 to 48 printable ASCII characters, got "${raw}"`);
  return raw;
}

function webhookTargets(env: Env, host: string, port: number): TargetPolicy {
  const name = 'KPIHUB_WEBHOOK_ALLOW_HOSTS';
  let allowed: ReturnType<typeof parseAllowList>;
  try {
    allowed = parseAllowList((env[name] ?? '').split(','));
  } catch (e) {
    throw new ConfigError(`${name}: ${(e as Error).message}`);
  }
  return Object.freeze({
    allowNames: Object.freeze(allowed.allowNames),
    allowRanges: Object.freeze(allowed.allowRanges.map((r) => Object.freeze(r))),
    self: Object.freeze({ host, port }),
  });
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const logVar = env.KPIHUB_LOG_LEVEL ? 'KPIHUB_LOG_LEVEL' : 'LOG_LEVEL';
  const logLevel = (env[logVar] || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`${logVar} must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const adminKey = env.KPIHUB_ADMIN_KEY || undefined;
  if (adminKey !== undefined && (adminKey.length < 32 || /\s/.test(adminKey))) {
    throw new ConfigError('KPIHUB_ADMIN_KEY must be at least 32 characters with no spaces');
  }
  const host = env.HOST || '127.0.0.1';
  const port = intSetting(env, 'PORT', 8080, 0, 65535);
  const requestTimeoutMs = intSetting(env, 'KPIHUB_REQUEST_TIMEOUT_MS', 10 * 60_000, 100, 24 * 3600_000);
  const headersTimeoutMs = intSetting(
    env,
    'KPIHUB_HEADERS_TIMEOUT_MS',
    Math.min(30_000, requestTimeoutMs),
    100,
    3600_000,
  );
  // Node refuses a header deadline later than the whole request's.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `KPIHUB_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not exceed KPIHUB_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }
  return Object.freeze({
    host,
    port,
    database: withEngineSettings(parseDatabaseUrl(env.KPIHUB_DATABASE_URL || 'sqlite:./data/kpihub.db'), env),
    adminKey,
    logLevel,
    bodyLimit: intSetting(env, 'KPIHUB_BODY_LIMIT', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    nativeMaxPoints: intSetting(env, 'KPIHUB_MAX_POINTS', 10_000, 1, 1_000_000),
    idempotencyWindowSeconds: intSetting(env, 'KPIHUB_IDEMPOTENCY_WINDOW', 24 * 3600, 1, 30 * 24 * 3600),
    rateLimit: Object.freeze({
      max: intSetting(env, 'KPIHUB_RATE_LIMIT_MAX', 100_000, 1, 100_000_000),
      windowMs: intSetting(env, 'KPIHUB_RATE_LIMIT_WINDOW_MS', 60_000, 1, 24 * 3600 * 1000),
      vendorLimits: boolSetting(env, 'KPIHUB_VENDOR_RATE_LIMITS', false),
      signInMax: intSetting(env, 'KPIHUB_SIGNIN_RATE_LIMIT_MAX', 20, 1, 1_000_000),
    }),
    redisUrl: env.KPIHUB_REDIS_URL || undefined,
    corsOrigins: originsSetting(env, 'KPIHUB_CORS_ORIGINS'),
    workers: intSetting(env, 'KPIHUB_WORKERS', 1, 0, 64),
    jobLeaseSeconds: intSetting(env, 'KPIHUB_JOB_LEASE_SECONDS', 30, 1, 3600),
    jobPollMs: intSetting(env, 'KPIHUB_JOB_POLL_MS', 200, 10, 60_000),
    jobMaxAttempts: intSetting(env, 'KPIHUB_JOB_MAX_ATTEMPTS', 5, 1, 100),
    shutdownTimeoutSeconds: durationSetting(env, 'KPIHUB_SHUTDOWN_TIMEOUT', 10, 3600, 1),
    jobPayloadRetentionSeconds: durationSetting(
      env,
      'KPIHUB_JOB_PAYLOAD_RETENTION',
      7 * 86_400,
      10 * 365 * 86_400,
    ),
    readyQueueMaxWaitSeconds: intSetting(env, 'KPIHUB_READY_QUEUE_MAX_WAIT', 900, 0, 7 * 86_400),
    dataDir: env.KPIHUB_DATA_DIR || './data',
    // Beside the package, not the working directory: src/config.ts and the bundled
    // dist/kpihub.mjs are both one folder below the package root.
    webDir: env.KPIHUB_WEB_DIR || fileURLToPath(new URL('../web/dist', import.meta.url)),
    workivaMaxBytes: intSetting(env, 'KPIHUB_WORKIVA_MAX_BYTES', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    importMaxBytes: intSetting(env, 'KPIHUB_IMPORT_MAX_BYTES', 1024 ** 3, 1024, 64 * 1024 ** 3),
    importMaxFieldBytes: intSetting(env, 'KPIHUB_IMPORT_MAX_FIELD_BYTES', 1024 ** 2, 64, 256 * 1024 ** 2),
    analyticsDedupWindowSeconds: intSetting(
      env,
      'KPIHUB_ANALYTICS_DEDUP_WINDOW',
      7 * 24 * 3600,
      1,
      365 * 24 * 3600,
    ),
    analyticsMaxBatch: intSetting(env, 'KPIHUB_ANALYTICS_MAX_BATCH', 100, 1, 10_000),
    webhookTargets: webhookTargets(env, host, port),
    connections: Object.freeze({
      headersTimeoutMs,
      requestTimeoutMs,
      idleTimeoutMs: intSetting(env, 'KPIHUB_IDLE_TIMEOUT_MS', 30_000, 100, 3600_000),
      maxConnections: intSetting(env, 'KPIHUB_MAX_CONNECTIONS', 1_000, 1, 1_000_000),
    }),
  });
}
