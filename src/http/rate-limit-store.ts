import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

// The rate limiter must never be why a request fails. With Redis configured, counters are
// shared through it while it answers; when it does not (down, unreachable, slow), each
// process counts in its own memory until Redis is back, so limits still hold per process.
// The switch is logged once each way, and /ready reports it.

/** `memory`: no Redis configured; `redis`: shared counters; `degraded`: Redis configured but not answering. */
export type RateLimitStoreState = 'memory' | 'redis' | 'degraded';

export interface RateLimitStore {
  /** For @fastify/rate-limit's `store` option. */
  readonly Store: FastifyRateLimitStoreCtor;
  state(): RateLimitStoreState;
  close(): Promise<void>;
}

export interface RateLimitStoreOptions {
  redisUrl: string | undefined;
  log: FastifyBaseLogger;
  /** Bound on connecting and on each Redis call; past it the request is counted in memory. */
  timeoutMs?: number;
  /** Most keys counted in memory (oldest windows are forgotten first). */
  memoryKeys?: number;
}

interface Count {
  current: number;
  ttl: number;
}

// One script, so the increment and the window's start are atomic across processes.
const INCR_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

type ScriptedRedis = Redis & { kpihubRateLimit(key: string, windowMs: number): Promise<[number, number]> };

/** Fixed windows per key, in this process. Bounded: beyond `maxKeys` the oldest key is dropped. */
class MemoryCounters {
  private readonly windows = new Map<string, { count: number; startMs: number }>();

  constructor(private readonly maxKeys: number) {}

  incr(key: string, windowMs: number): Count {
    const at = Date.now();
    let w = this.windows.get(key);
    if (!w || w.startMs + windowMs <= at) {
      this.windows.delete(key);
      w = { count: 0, startMs: at };
      this.windows.set(key, w);
      if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
    }
    w.count += 1;
    return { current: w.count, ttl: w.startMs + windowMs - at };
  }
}

/** The Redis connection and whether it is answering, shared by every route's store. */
class SharedCounters {
  private degraded = false;
  private closing = false;

  constructor(
    private readonly redis: ScriptedRedis | undefined,
    private readonly log: FastifyBaseLogger,
  ) {
    if (!redis) return;
    // Every ioredis 'error' lands here: without a listener ioredis prints each failed
    // reconnection to stderr, outside the JSON log.
    redis.on('error', (e: Error) => this.degrade(e.message));
    redis.on('close', () => this.degrade('connection closed'));
    redis.on('ready', () => {
      if (!this.degraded) return;
      this.degraded = false;
      this.log.info('rate-limit store: Redis answers again; counters are shared again');
    });
  }

  state(): RateLimitStoreState {
    if (!this.redis) return 'memory';
    return this.degraded || this.redis.status !== 'ready' ? 'degraded' : 'redis';
  }

  /** The shared count, or undefined when Redis is not answering (the caller counts in memory). */
  async incr(key: string, windowMs: number): Promise<Count | undefined> {
    if (this.redis?.status !== 'ready') return undefined;
    try {
      const [current, ttl] = await this.redis.kpihubRateLimit(key, windowMs);
      return { current: Number(current), ttl: Number(ttl) };
    } catch (e) {
      this.degrade((e as Error).message);
      return undefined;
    }
  }

  private degrade(reason: string): void {
    if (this.closing) return;
    if (this.degraded) {
      this.log.debug({ reason }, 'rate-limit store: Redis still not answering');
      return;
    }
    this.degraded = true;
    this.log.warn(
      { reason },
      'rate-limit store degraded: Redis is not answering; counting requests in this process until it is back',
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    if (!this.redis) return;
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis?.disconnect());
    else this.redis.disconnect();
  }
}

function storeClass(shared: SharedCounters, memoryKeys: number): FastifyRateLimitStoreCtor {
  class ResilientStore implements FastifyRateLimitStore {
    private readonly memory = new MemoryCounters(memoryKeys);

    constructor(
      _options?: unknown,
      private readonly prefix = 'kpihub-rate-limit:',
    ) {}

    incr(key: string, callback: (error: Error | null, result?: Count) => void, windowMs: number): void {
      // Never calls back with an error: the plugin would answer 500.
      shared.incr(this.prefix + key, windowMs).then(
        (count) => callback(null, count ?? this.memory.incr(key, windowMs)),
        () => callback(null, this.memory.incr(key, windowMs)),
      );
    }

    // A route with its own limit (route config `rateLimit: {...}`) counts apart. The plugin
    // passes its merged settings with the route under `routeInfo` (its typings say otherwise).
    child(routeOptions: object): FastifyRateLimitStore {
      const info = (routeOptions as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo ?? {};
      return new ResilientStore(undefined, `${this.prefix}${String(info.method)}${String(info.url)}:`);
    }
  }
  return ResilientStore as unknown as FastifyRateLimitStoreCtor;
}

/**
 * Builds the store and, with Redis configured, waits for the first connection attempt
 * (at most `timeoutMs`) so that the first requests already share their counters.
 */
export async function createRateLimitStore(opts: RateLimitStoreOptions): Promise<RateLimitStore> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const log = opts.log.child({ component: 'rate-limit' });
  let redis: ScriptedRedis | undefined;
  if (opts.redisUrl) {
    redis = new Redis(opts.redisUrl, {
      // Fail fast instead of queueing commands while disconnected, and keep trying to
      // reconnect in the background (at most every 5 s).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      retryStrategy: (times) => Math.min(times * 200, 5000),
    }) as ScriptedRedis;
    redis.defineCommand('kpihubRateLimit', { numberOfKeys: 1, lua: INCR_SCRIPT });
  }
  const shared = new SharedCounters(redis, log);
  if (redis) await firstConnection(redis, timeoutMs);
  return {
    Store: storeClass(shared, opts.memoryKeys ?? 100_000),
    state: () => shared.state(),
    close: () => shared.close(),
  };
}

function firstConnection(redis: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
    redis.once('error', done);
  });
}
