import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureWebBuild } from '../../scripts/web-build.ts';

export const REDIS_URL = process.env.KPIHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PG_URL = process.env.KPIHUB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAvailable: boolean;
    pgUrl: string;
    redisAvailable: boolean;
  }
}

// Every test runs on SQLite and on PostgreSQL. Without a reachable PostgreSQL the
// PostgreSQL half is skipped and said so, unless KPIHUB_TEST_REQUIRE_PG is set (CI),
// where that is a failure.
export default async function setup(project: TestProject): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  let available = false;
  try {
    await client.connect();
    await client.query('select 1');
    available = true;
  } catch (e) {
    if (process.env.KPIHUB_TEST_REQUIRE_PG) {
      throw new Error(`PostgreSQL is required (KPIHUB_TEST_REQUIRE_PG) but ${PG_URL} is unreachable: ${e}`);
    }
    process.stdout.write(
      `\nPostgreSQL not reachable at ${PG_URL}: the PostgreSQL half of the suite is SKIPPED.\n\n`,
    );
  } finally {
    await client.end().catch(() => {});
  }
  project.provide('pgAvailable', available);
  project.provide('pgUrl', PG_URL);
  project.provide('redisAvailable', await redisReachable());
  // The browser tests (test/web) load the built dashboard: build it when it is stale.
  await ensureWebBuild({ quiet: true });
}

// Redis backs the shared rate-limit store; its test runs when Redis answers (CI makes sure
// it does: KPIHUB_TEST_REQUIRE_REDIS).
async function redisReachable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch (e) {
    if (process.env.KPIHUB_TEST_REQUIRE_REDIS)
      throw new Error(`Redis is required but ${REDIS_URL} is unreachable: ${e}`);
    process.stdout.write(`Redis not reachable at ${REDIS_URL}: the shared rate-limit test is SKIPPED.\n`);
    return false;
  } finally {
    redis.disconnect();
  }
}
