import { pino } from 'pino';
import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { useTestContext } from '../helpers/app.ts';
import { engines } from '../helpers/engines.ts';
import { expectProblem } from '../helpers/native.ts';

describe.each(engines())('rate limits [%s]', (engine) => {
  const ctx = useTestContext(engine, { KPIHUB_RATE_LIMIT_MAX: '3', KPIHUB_RATE_LIMIT_WINDOW_MS: '60000' });

  it('counts per API key, sends IETF RateLimit headers, and answers 429 with Retry-After in problem+json', async () => {
    const get = (key: string) => ctx().call(key, { method: 'GET', url: '/v1/datasets' });
    const first = await get(ctx().orgA.read);
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit-limit']).toBe('3');
    expect(first.headers['ratelimit-remaining']).toBe('2');
    expect(first.headers['ratelimit-reset']).toBeDefined();
    await get(ctx().orgA.read);
    await get(ctx().orgA.read);
    const limited = await get(ctx().orgA.read);
    const body = expectProblem(limited, 429);
    expect(body.title).toBe('Too many requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another key of the same organization has its own budget.
    expect((await get(ctx().orgA.write)).statusCode).toBe(200);
  });

  it.skipIf(!inject('redisAvailable'))('shares counters between API processes through Redis', async () => {
    const config = loadConfig({
      KPIHUB_DATABASE_URL: ctx().database.env,
      KPIHUB_LOG_LEVEL: 'silent',
      KPIHUB_RATE_LIMIT_MAX: '4',
      KPIHUB_REDIS_URL: process.env.KPIHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    });
    // Two app instances over one database, as two processes behind a load balancer.
    const apps = [
      await buildApp({ config, store: ctx().store, logger: pino({ level: 'silent' }) }),
      await buildApp({ config, store: ctx().store, logger: pino({ level: 'silent' }) }),
    ];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await apps[i % 2].inject({
          method: 'GET',
          url: '/v1/datasets',
          headers: { authorization: `Bearer ${ctx().orgA.admin}` },
        });
        statuses.push(res.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await Promise.all(apps.map((a) => a.close()));
    }
  });
});
