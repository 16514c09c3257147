import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { type Config, loadConfig } from '../../src/config.ts';
import { createApiKey } from '../../src/core/api-keys.ts';
import type { Dialect } from '../../src/dialects/contract.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Store } from '../../src/store/database.ts';
import { insertOrganization } from '../../src/store/organizations.ts';
import { createStorage } from '../../src/store/storage.ts';
import { createTestStore, type Engine, type TestDatabase } from './engines.ts';

export interface TestContext {
  engine: Engine;
  app: FastifyInstance;
  store: Store;
  config: Config;
  database: TestDatabase;
  /** Organization A: keys with each scope. */
  orgA: { id: string; admin: string; write: string; read: string };
  /** Organization B: another tenant, for the isolation tests. */
  orgB: { id: string; admin: string };
  /** inject() with a key sent as `Authorization: Bearer`. */
  call(key: string | null, opts: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function createTestContext(
  engine: Engine,
  env: Record<string, string> = {},
  /** Dialects to serve instead of the built-in list (the toy dialect test adds one). */
  dialects?: readonly Dialect[],
): Promise<TestContext> {
  const { store, database } = await createTestStore(engine);
  const config = loadConfig({
    KPIHUB_DATABASE_URL: database.env,
    KPIHUB_LOG_LEVEL: 'silent',
    KPIHUB_WORKERS: '0',
    ...env,
  });
  const app = await buildApp({ config, store, logger: pino({ level: 'silent' }), dialects });
  const a = await insertOrganization(store.db, 'Org A');
  const b = await insertOrganization(store.db, 'Org B');
  const key = async (orgId: string, scopes: ('read' | 'write' | 'admin')[]) =>
    (await createApiKey(createStorage(store), { orgId, name: scopes.join('+'), scopes })).secret;
  const orgA = {
    id: a.id,
    admin: await key(a.id, ['read', 'write', 'admin']),
    write: await key(a.id, ['write']),
    read: await key(a.id, ['read']),
  };
  const orgB = { id: b.id, admin: await key(b.id, ['read', 'write', 'admin']) };
  return {
    engine,
    app,
    store,
    config,
    database,
    orgA,
    orgB,
    call: (k, opts) =>
      app.inject({
        ...opts,
        headers: { ...(k ? { authorization: `Bearer ${k}` } : {}), ...(opts.headers ?? {}) },
      }),
    async close() {
      await app.close();
      await store.close();
      await database.drop();
    },
  };
}

/** Builds a context for the enclosing describe block and tears it down after it. */
export function useTestContext(
  engine: Engine,
  env: Record<string, string> = {},
  dialects?: readonly Dialect[],
): () => TestContext {
  let ctx: TestContext | undefined;
  beforeAll(async () => {
    ctx = await createTestContext(engine, env, dialects);
  });
  afterAll(async () => {
    await ctx?.close();
  });
  return () => {
    if (!ctx) throw new Error('test context not ready');
    return ctx;
  };
}
