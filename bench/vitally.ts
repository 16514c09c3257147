// Issue 6's benchmark: Vitally analytics batches of 100 messages at 16 connections against
// KPI Hub on SQLite, in messages per second. Every message is new (its own messageId), so
// deduplication never short-cuts the work: each batch merges traits, appends history,
// updates links and inserts events.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ingestBatch } from '../src/core/analytics/ingest.ts';
import { toCoreMessages } from '../src/dialects/vitally/mapping.ts';
import { openStore } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { insertOrganization } from '../src/store/organizations.ts';
import { createStorage } from '../src/store/storage.ts';
import { onEngines, type SectionPart, withPgServer } from './engines.ts';
import type { BenchEnv, BenchServer } from './types.ts';

const TARGET = 20_000;
const BATCH = 100;
const CONNECTIONS = 16;

/** The i-th batch: 70 tracks, 20 users, 8 accounts, 2 organizations, over pools of ids. */
export function vitallyBatch(run: string, i: number): string {
  const at = new Date().toISOString();
  const messages: unknown[] = [];
  for (let j = 0; j < BATCH; j++) {
    const n = i * BATCH + j;
    const messageId = `${run}-${n}`;
    const user = `u${n % 20_000}`;
    const account = `a${n % 2_000}`;
    if (j < 70) {
      messages.push({
        type: 'track',
        userId: user,
        event: j % 3 === 0 ? 'login' : 'viewed-page',
        properties: { page: `/p/${n % 50}`, ms: n % 1000 },
        messageId,
        timestamp: at,
      });
    } else if (j < 90) {
      messages.push({
        type: 'user',
        userId: user,
        accountId: account,
        traits: { email: `${user}@example.com`, plan: n % 2 ? 'pro' : 'free', seen: i },
        messageId,
        timestamp: at,
      });
    } else if (j < 98) {
      messages.push({
        type: 'account',
        accountId: account,
        organizationId: `o${n % 200}`,
        traits: { name: `Account ${account}`, mrr: n % 5000 },
        messageId,
        timestamp: at,
      });
    } else {
      messages.push({
        type: 'organization',
        organizationId: `o${n % 200}`,
        traits: { name: `Org ${n % 200}`, batches: i },
        messageId,
        timestamp: at,
      });
    }
  }
  return JSON.stringify(messages);
}

/**
 * The reference: the same batches through the core write path in this process, with 16
 * batches in flight (so group commit forms as it does in the server), no HTTP.
 */
async function inProcess(dir: string, batches: number): Promise<number> {
  const store = openStore({ engine: 'sqlite', path: join(mkdtempSync(join(dir, 'core-')), 'core.db') });
  await migrateToLatest(store);
  const org = await insertOrganization(store.db, 'bench');
  const actor = { orgId: org.id, actor: 'bench', keyId: 'bench', scopes: ['write' as const] };
  const bodies = Array.from({ length: batches }, (_, i) =>
    toCoreMessages(JSON.parse(vitallyBatch('core', i))),
  );
  const storage = createStorage(store);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < bodies.length) {
        await ingestBatch(storage, actor, bodies[next++], {
          maxBatch: BATCH,
          dedupWindowSeconds: 7 * 86_400,
        });
      }
    }),
  );
  const rate = (batches * BATCH) / ((performance.now() - started) / 1000);
  await store.close();
  return rate;
}

/** `seconds` of batches at 16 connections, then the stored tracks read back. */
async function httpLoad(server: BenchServer, seconds: number) {
  const runId = `b${Date.now().toString(36)}`;
  let i = 0;
  const result = await autocannon({
    url: `${server.url}/analytics/v1/batch`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Basic ${server.key}` },
    requests: [{ setupRequest: (req) => ({ ...req, body: vitallyBatch(runId, i++) }) }],
  });
  const ok = result.requests.total - result.non2xx;
  const messagesPerSecond = (ok * BATCH) / (result.duration || seconds);
  // Every accepted track must be stored: the count is read back through the native API.
  const counts = await fetch(`${server.url}/v1/events/counts?event=viewed-page`, {
    headers: { authorization: `Bearer ${server.key}` },
  });
  const stored = counts.ok ? ((await counts.json()) as { total: number }).total : -1;
  // 46 viewed-page tracks a batch (the other 24 of the 70 are logins). Batches still in
  // flight when the load stops are stored but not counted as answered, hence "at least".
  return { result, messagesPerSecond, stored, expected: ok * 46 };
}

export function run(env: BenchEnv) {
  const seconds = env.quick ? 3 : 10;
  // The PostgreSQL half compares with the SQLite half's figure of this run (issue 14).
  let sqlitePerSecond: number | undefined;
  return onEngines((engines) => `Vitally analytics batches (issue 6; ${engines})`, {
    sqlite: async () => {
      const part = await sqliteHalf(env, seconds);
      sqlitePerSecond = part.figures[0].value;
      return part;
    },
    postgres: () => postgresHalf(env, seconds, sqlitePerSecond),
  });
}

async function postgresHalf(env: BenchEnv, seconds: number, sqlitePerSecond?: number): Promise<SectionPart> {
  const load = await withPgServer(env.startServer, (server) => httpLoad(server, seconds));
  const { result, messagesPerSecond } = load;
  return {
    figures: [
      {
        name: `messages/s, ${BATCH}-message batches, ${CONNECTIONS} connections`,
        value: messagesPerSecond,
        unit: 'msg/s',
      },
      { name: 'latency p50', value: result.latency.p50, unit: 'ms' },
      { name: 'latency p99', value: result.latency.p99, unit: 'ms' },
      { name: 'non-2xx answers', value: result.non2xx, unit: 'responses' },
    ],
    ratios:
      sqlitePerSecond === undefined
        ? []
        : [
            {
              name: 'messages/s ÷ SQLite messages/s (same run)',
              value: messagesPerSecond / sqlitePerSecond,
              target: 0.7,
            },
          ],
    notes: [
      `The same batches, ${seconds} s of load, on a server in a freshly migrated schema; stored viewed-page events read back: ${load.stored} (at least ${load.expected} expected).`,
      ...(sqlitePerSecond === undefined ? ['SQLite not measured in this run: no ratio.'] : []),
    ],
  };
}

async function sqliteHalf(env: BenchEnv, seconds: number): Promise<SectionPart> {
  const core = await inProcess(env.dir, env.quick ? 200 : 1000);
  const server = await env.startServer();
  try {
    const { result, messagesPerSecond, stored, expected } = await httpLoad(server, seconds);
    return {
      figures: [
        {
          name: `messages/s, ${BATCH}-message batches, ${CONNECTIONS} connections`,
          value: messagesPerSecond,
          unit: 'msg/s',
        },
        { name: 'batches/s', value: messagesPerSecond / BATCH, unit: 'req/s' },
        {
          name: 'reference: the same batches through the core write path in-process (no HTTP)',
          value: core,
          unit: 'msg/s',
        },
        { name: 'latency p50', value: result.latency.p50, unit: 'ms' },
        { name: 'latency p99', value: result.latency.p99, unit: 'ms' },
        { name: 'non-2xx answers', value: result.non2xx, unit: 'responses' },
      ],
      ratios: [
        { name: 'HTTP messages/s ÷ in-process core messages/s', value: messagesPerSecond / core },
        {
          name: `messages/s ÷ ${TARGET.toLocaleString('en-US')} (the issue's target)`,
          value: messagesPerSecond / TARGET,
          target: 1,
        },
      ],
      notes: [
        `Each batch: 70 track, 20 user, 8 account, 2 organization messages, every one with a new messageId; ${seconds} s of load.`,
        `Stored viewed-page events read back: ${stored} (at least ${expected} expected).`,
      ],
    };
  } finally {
    await server.stop();
  }
}
