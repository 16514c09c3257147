import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';
import { countRows } from '../helpers/rows.ts';

describe.each(engines())('rate limits with Redis unreachable [%s]', (engine) => {
  const ctx = useTestContext(engine);
  let app: FastifyInstance;
  const lines: { level: number; msg: string }[] = [];
  const consoleErrors = vi.spyOn(console, 'error');

  beforeAll(async () => {
    const config = loadConfig({
      KPIHUB_DATABASE_URL: ctx().database.env,
      KPIHUB_RATE_LIMIT_MAX: '3',
      KPIHUB_RATE_LIMIT_WINDOW_MS: '60000',
      // Nothing listens on port 1: every connection attempt is refused.
      KPIHUB_REDIS_URL: 'redis://127.0.0.1:1',
    });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink) as FastifyBaseLogger;
    app = await buildApp({ config, store: ctx().store, logger });
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
