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
import {
  onEngines,
  pgAnswers,
  type SectionPart,
  wantedEngines,
  withPgServer,
  withServer,
} from './engines.ts';
import { median } from './rounds.ts';
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

/** One HTTP load's figures, of which a section reports the median over its rounds. */
interface Load {
  messagesPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  stored: number;
  expected: number;
}

async function load(server: BenchServer, seconds: number): Promise<Load> {
  const { result, messagesPerSecond, stored, expected } = await httpLoad(server, seconds);
  return {
    messagesPerSecond,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    stored,
    expected,
  };
}

const sqliteLoad = (env: BenchEnv, seconds: number) =>
  withServer(env.startServer, (server) => load(server, seconds));

const pgLoad = (env: BenchEnv, seconds: number) =>
  withPgServer(env.startServer, (server) => load(server, seconds));

export function run(env: BenchEnv) {
  const seconds = env.quick ? 3 : 10;
  const rounds = env.quick ? 1 : 3;
  // Issue 14 compares PostgreSQL with SQLite: with both engines, the SQLite half measures
  // both in alternating rounds (SQLite, PostgreSQL, SQLite, …), each ratio within its round,
  // and leaves PostgreSQL's loads to its half.
  let alternated: { pg: Load[]; ratios: number[] } | undefined;
  return onEngines((engines) => `Vitally analytics batches (issue 6; ${engines})`, {
    sqlite: async () => {
      const core = await inProcess(env.dir, env.quick ? 200 : 1000);
      const both = wantedEngines().has('postgres') && (await pgAnswers());
      const loads: Load[] = [];
      const pg: Load[] = [];
      for (let r = 0; r < rounds; r++) {
        loads.push(await sqliteLoad(env, seconds));
        if (both) pg.push(await pgLoad(env, seconds));
      }
      if (both)
        alternated = { pg, ratios: pg.map((l, r) => l.messagesPerSecond / loads[r].messagesPerSecond) };
      return sqliteHalf(loads, core, seconds);
    },
    postgres: async () => {
      const loads = alternated?.pg ?? [];
      if (!alternated) for (let r = 0; r < rounds; r++) loads.push(await pgLoad(env, seconds));
      return postgresHalf(loads, seconds, alternated?.ratios);
    },
  });
}

const latencyFigures = (loads: Load[]) => [
  { name: 'latency p50', value: median(loads.map((l) => l.p50)), unit: 'ms' },
  { name: 'latency p99', value: median(loads.map((l) => l.p99)), unit: 'ms' },
  { name: 'non-2xx answers, all rounds', value: loads.reduce((n, l) => n + l.non2xx, 0), unit: 'responses' },
];

const storedNote = (loads: Load[]) =>
  `Stored viewed-page events read back per round: ${loads
    .map((l) => `${l.stored} (at least ${l.expected} expected)`)
    .join(', ')}.`;

function postgresHalf(loads: Load[], seconds: number, ratios?: number[]): SectionPart {
  return {
    figures: [
      {
        name: `messages/s, ${BATCH}-message batches, ${CONNECTIONS} connections`,
        value: median(loads.map((l) => l.messagesPerSecond)),
        unit: 'msg/s',
      },
      ...latencyFigures(loads),
    ],
    ratios: ratios
      ? [{ name: 'messages/s ÷ SQLite messages/s (same round)', value: median(ratios), target: 0.7 }]
      : [],
    notes: [
      `The same batches, ${seconds} s of load a round, each on a server in a freshly migrated schema; median of ${loads.length} rounds${ratios ? ", alternating with SQLite's" : ''}. ${storedNote(loads)}`,
      ...(ratios ? [] : ['SQLite not measured in this run: no ratio.']),
    ],
  };
}

function sqliteHalf(loads: Load[], core: number, seconds: number): SectionPart {
  const rate = median(loads.map((l) => l.messagesPerSecond));
  return {
    figures: [
      {
        name: `messages/s, ${BATCH}-message batches, ${CONNECTIONS} connections`,
        value: rate,
        unit: 'msg/s',
      },
      { name: 'batches/s', value: rate / BATCH, unit: 'req/s' },
      {
        name: 'reference: the same batches through the core write path in-process (no HTTP)',
        value: core,
        unit: 'msg/s',
      },
      ...latencyFigures(loads),
    ],
    ratios: [
      { name: 'HTTP messages/s ÷ in-process core messages/s', value: rate / core },
      {
        name: `messages/s ÷ ${TARGET.toLocaleString('en-US')} (the issue's target)`,
        value: rate / TARGET,
        target: 1,
      },
    ],
    notes: [
      `Each batch: 70 track, 20 user, 8 account, 2 organization messages, every one with a new messageId; ${seconds} s of load a round, median of ${loads.length} rounds.`,
      storedNote(loads),
    ],
  };
}
