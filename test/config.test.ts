import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDatabaseUrl } from '../src/config.ts';

// Pure parsing, no database: it runs once, not per engine.
describe('loadConfig', () => {
  it('has working defaults for a fresh clone', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      database: { engine: 'sqlite', path: './data/kpihub.db' },
      adminKey: undefined,
      logLevel: 'info',
      bodyLimit: 10 * 1024 * 1024,
      redisUrl: undefined,
      dataDir: './data',
    });
  });

  it('reads each setting from its variable', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: '9090',
      KPIHUB_DATABASE_URL: 'postgres://u:p@db.example:5433/kpi?schema=kpihub&sslmode=require',
      KPIHUB_ADMIN_KEY: 'a'.repeat(32),
      KPIHUB_LOG_LEVEL: 'debug',
      KPIHUB_BODY_LIMIT: '2048',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9090,
      adminKey: 'a'.repeat(32),
      logLevel: 'debug',
      bodyLimit: 2048,
    });
    expect(config.database).toEqual({
      engine: 'postgres',
      connectionString: 'postgres://u:p@db.example:5433/kpi?sslmode=require',
      schema: 'kpihub',
      poolSize: 10,
      applicationName: 'kpihub',
    });
    expect(
      loadConfig({
        KPIHUB_DATABASE_URL: 'postgres://db.example/kpi',
        KPIHUB_PG_POOL_SIZE: '25',
        KPIHUB_PG_APPLICATION_NAME: 'kpis on db1',
      }).database,
    ).toMatchObject({ poolSize: 25, applicationName: 'kpis on db1' });
    expect(loadConfig({ KPIHUB_DATABASE_URL: 'sqlite::memory:' }).database).toEqual({
      engine: 'sqlite',
      path: ':memory:',
      cacheMb: 16,
    });
    expect(
      loadConfig({ KPIHUB_DATABASE_URL: 'sqlite:/tmp/x.db', KPIHUB_SQLITE_CACHE_MB: '64' }).database,
    ).toEqual({ engine: 'sqlite', path: '/tmp/x.db', cacheMb: 64 });
    expect(() => loadConfig({ KPIHUB_SQLITE_CACHE_MB: 'lots' })).toThrow(/KPIHUB_SQLITE_CACHE_MB/);
    expect(parseDatabaseUrl('postgresql://localhost/x')).toMatchObject({
      engine: 'postgres',
      schema: 'public',
    });
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['KPIHUB_DATABASE_URL', { KPIHUB_DATABASE_URL: 'mysql://localhost/kpi' }],
    ['KPIHUB_DATABASE_URL', { KPIHUB_DATABASE_URL: 'sqlite:' }],
    ['KPIHUB_DATABASE_URL', { KPIHUB_DATABASE_URL: 'postgres://localhost/kpi?schema=Bad-Name' }],
    ['KPIHUB_PG_POOL_SIZE', { KPIHUB_DATABASE_URL: 'postgres://db/kpi', KPIHUB_PG_POOL_SIZE: '0' }],
    ['KPIHUB_PG_POOL_SIZE', { KPIHUB_DATABASE_URL: 'postgres://db/kpi', KPIHUB_PG_POOL_SIZE: 'ten' }],
    [
      'KPIHUB_PG_APPLICATION_NAME',
      { KPIHUB_DATABASE_URL: 'postgres://db/kpi', KPIHUB_PG_APPLICATION_NAME: 'kpi€' },
    ],
    [
      'KPIHUB_PG_APPLICATION_NAME',
      { KPIHUB_DATABASE_URL: 'postgres://db/kpi', KPIHUB_PG_APPLICATION_NAME: 'k'.repeat(49) },
    ],
    ['KPIHUB_JOB_PAYLOAD_RETENTION', { KPIHUB_JOB_PAYLOAD_RETENTION: '7 days' }],
    ['KPIHUB_JOB_PAYLOAD_RETENTION', { KPIHUB_JOB_PAYLOAD_RETENTION: '-1' }],
    ['KPIHUB_JOB_PAYLOAD_RETENTION', { KPIHUB_JOB_PAYLOAD_RETENTION: '99999d' }],
    ['KPIHUB_SHUTDOWN_TIMEOUT', { KPIHUB_SHUTDOWN_TIMEOUT: '0' }],
    ['KPIHUB_SHUTDOWN_TIMEOUT', { KPIHUB_SHUTDOWN_TIMEOUT: '2h' }],
    ['KPIHUB_ADMIN_KEY', { KPIHUB_ADMIN_KEY: 'too-short' }],
    ['KPIHUB_ADMIN_KEY', { KPIHUB_ADMIN_KEY: `${'a'.repeat(20)} ${'b'.repeat(20)}` }],
    ['KPIHUB_LOG_LEVEL', { KPIHUB_LOG_LEVEL: 'loud' }],
    ['KPIHUB_BODY_LIMIT', { KPIHUB_BODY_LIMIT: '10MB' }],
    ['KPIHUB_WEBHOOK_ALLOW_HOSTS', { KPIHUB_WEBHOOK_ALLOW_HOSTS: 'hooks.corp, 10.0.0.0/33' }],
    ['KPIHUB_WEBHOOK_ALLOW_HOSTS', { KPIHUB_WEBHOOK_ALLOW_HOSTS: 'http://hooks.corp/' }],
    ['KPIHUB_WEBHOOK_ALLOW_HOSTS', { KPIHUB_WEBHOOK_ALLOW_HOSTS: 'bad host' }],
  ])('stops on a bad %s with a ConfigError naming it', (name, env) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
  });

  it('reads the webhook allow-list: names, addresses and ranges, beside this server as itself', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: '9090',
      KPIHUB_WEBHOOK_ALLOW_HOSTS: ' Hooks.Corp.Local. ,10.20.0.0/16, 192.168.1.5,fd00::/8',
    });
    const t = config.webhookTargets;
    expect(t.allowNames).toEqual(['hooks.corp.local']);
    expect(t.allowRanges.map(([a, bits]) => `${a.toString()}/${bits}`)).toEqual([
      '10.20.0.0/16',
      '192.168.1.5/32',
      'fd00::/8',
    ]);
    expect(t.self).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(Object.isFrozen(t) && Object.isFrozen(t.allowNames) && Object.isFrozen(t.allowRanges)).toBe(true);
    expect(loadConfig({}).webhookTargets).toMatchObject({ allowNames: [], allowRanges: [] });
  });

  it('reads the durations (KPIHUB_JOB_PAYLOAD_RETENTION, KPIHUB_SHUTDOWN_TIMEOUT) as seconds or with a unit', () => {
    const retention = (v?: string) =>
      loadConfig(v === undefined ? {} : { KPIHUB_JOB_PAYLOAD_RETENTION: v }).jobPayloadRetentionSeconds;
    expect(retention()).toBe(7 * 86_400);
    expect(retention('0')).toBe(0);
    expect(retention('90')).toBe(90);
    expect(retention('30m')).toBe(1800);
    expect(retention('12h')).toBe(43_200);
    expect(retention('2d')).toBe(172_800);
    expect(loadConfig({}).shutdownTimeoutSeconds).toBe(10);
    expect(loadConfig({ KPIHUB_SHUTDOWN_TIMEOUT: '2m' }).shutdownTimeoutSeconds).toBe(120);
  });

  it('names LOG_LEVEL when that is the variable that was set', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/\bLOG_LEVEL\b/);
  });

  it('is frozen, nested settings included', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.rateLimit)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});
