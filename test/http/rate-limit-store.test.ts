import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countRows } from '../helpers/rows.ts';

/** Collects a pino logger's JSON lines. */
function capturedLogger(): { logger: FastifyBaseLogger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink) as FastifyBaseLogger, lines };
}

describe.each(engines())('rate limits with Redis unreachable [%s]', (engine) => {
  const ctx = useTestContext(engine);
  let app: FastifyInstance;
  let lines: { level: number; msg: string }[] = [];
  const consoleErrors = vi.spyOn(console, 'error');

  beforeAll(async () => {
    const config = loadConfig({
      KPIHUB_DATABASE_URL: ctx().database.env,
      KPIHUB_RATE_LIMIT_MAX: '3',
      KPIHUB_RATE_LIMIT_WINDOW_MS: '60000',
      // Nothing listens on port 1: every connection attempt is refused.
      KPIHUB_REDIS_URL: 'redis://127.0.0.1:1',
    });
    const captured = capturedLogger();
    app = await buildApp({ config, store: ctx().store, logger: captured.logger });
    lines = captured.lines;
  });
  afterAll(async () => {
    await app?.close();
    consoleErrors.mockRestore();
  });

  const call = (url: string, key?: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
    app.inject({ method, url, payload, headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('answers requests, limits in memory, and reports the degraded store on /ready', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await call('/v1/datasets', ctx().orgA.admin);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const before = await countRows(ctx().store, 'datasets');
    const limited = await call('/v1/datasets', ctx().orgA.admin, 'POST', { name: 'over the limit' });
    const body = expectProblem(limited, 429);
    expect(body.title).toBe('Too many requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(await countRows(ctx().store, 'datasets')).toBe(before);
    // Another key has its own budget.
    expect((await call('/v1/datasets', ctx().orgA.read)).statusCode).toBe(200);

    const ready = await call('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', rate_limit_store: 'degraded' });
  });

  it('never limits /health, /ready and /metrics, even once the budget is used', async () => {
    // Without a key these count against the caller's address: well past the limit of 3.
    for (let i = 0; i < 8; i++) {
      expect((await call('/health')).statusCode).toBe(200);
      expect((await call('/ready')).statusCode).toBe(200);
      expect((await call('/metrics')).statusCode).toBe(200);
    }
    // The address's budget is spent on other routes, and the probes still answer.
    for (let i = 0; i < 4; i++) await call('/openapi.json');
    expect((await call('/openapi.json')).statusCode).toBe(429);
    expect((await call('/health')).statusCode).toBe(200);
    expect((await call('/ready')).statusCode).toBe(200);
    expect((await call('/metrics')).statusCode).toBe(200);
  });

  it('logs one warning in the JSON log, and no unhandled ioredis error', async () => {
    // Long enough for several reconnection attempts, each refused.
    await sleep(1500);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toMatch(/rate-limit store degraded/);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(consoleErrors.mock.calls.filter((c) => String(c[0]).includes('ioredis'))).toEqual([]);
  });
});

/** A TCP proxy to Redis that the test can cut and restore, as a network failure would. */
async function redisProxy(
  target: URL,
): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = createConnection(Number(target.port || 6379), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => {});
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();
  return {
    port,
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    restore: listen,
  };
}

describe.each(engines())('rate limits when Redis goes away and comes back [%s]', (engine) => {
  const ctx = useTestContext(engine);

  it.skipIf(!inject('redisAvailable'))(
    'switches to memory with one warning, then back to Redis with one info',
    async () => {
      const proxy = await redisProxy(new URL(process.env.KPIHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'));
      const config = loadConfig({
        KPIHUB_DATABASE_URL: ctx().database.env,
        KPIHUB_RATE_LIMIT_MAX: '1000',
        KPIHUB_REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      });
      const { logger, lines } = capturedLogger();
      const app = await buildApp({ config, store: ctx().store, logger });
      const ready = async () => (await app.inject({ method: 'GET', url: '/ready' })).json().rate_limit_store;
      const datasets = () =>
        app.inject({
          method: 'GET',
          url: '/v1/datasets',
          headers: { authorization: `Bearer ${ctx().orgA.read}` },
        });
      const waitFor = async (state: string) => {
        for (let until = Date.now() + 10_000; Date.now() < until && (await ready()) !== state; )
          await sleep(50);
        return ready();
      };
      try {
        expect(await ready()).toBe('redis');
        expect((await datasets()).statusCode).toBe(200);

        await proxy.cut();
        expect(await waitFor('degraded')).toBe('degraded');
        for (let i = 0; i < 5; i++) expect((await datasets()).statusCode).toBe(200);
        await sleep(700); // a few refused reconnections
        expect(lines.filter((l) => l.level === 40)).toHaveLength(1);

        await proxy.restore();
        expect(await waitFor('redis')).toBe('redis');
        expect((await datasets()).statusCode).toBe(200);
        const infos = lines.filter((l) => l.level === 30 && /Redis answers again/.test(l.msg));
        expect(infos).toHaveLength(1);
        expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
        expect(lines.filter((l) => l.level >= 50)).toEqual([]);
      } finally {
        await app.close();
        await proxy.cut();
      }
    },
    20_000,
  );
});
