// Event counts at 1M events, and the Vitally write path, on one engine (issue 12's event
// rollups). Not a test and not part of `npm run bench`: run it by hand, before and after a
// change, and compare.
//
//   node --import tsx scripts/measure-event-counts.ts sqlite
//   node --import tsx scripts/measure-event-counts.ts postgres [postgres://postgres@127.0.0.1:5432/postgres]
//
// 1. Writes: Vitally batches (bench/vitally.ts's 100-message batches, 70 tracks each)
//    through the core write path with 16 in flight, several rounds, messages/s each.
// 2. Loads 1,000,000 events (20 names × 3 years of UTC days, ~913 a day) through the
//    store's insertEvents port in transactions of 5,000, then times GET /v1/events/counts
//    as core answers it: p50/p99 of 50 calls per shape.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { vitallyBatch } from '../bench/vitally.ts';
import type { DatabaseUrl } from '../src/config.ts';
import { countEvents } from '../src/core/analytics/events.ts';
import { ingestBatch } from '../src/core/analytics/ingest.ts';
import type { EventRecord } from '../src/core/analytics/records.ts';
import { newId } from '../src/core/ids.ts';
import type { Storage } from '../src/core/ports/index.ts';
import { toCoreMessages } from '../src/dialects/vitally/mapping.ts';
import { openStore, type Store } from '../src/store/database.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { insertOrganization } from '../src/store/organizations.ts';
import { createStorage } from '../src/store/storage.ts';

const engine = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
const pgBase = process.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const NAMES = 20;
const DAYS = 3 * 365;
const CALLS = 50;
const WRITE_ROUNDS = Number(process.env.WRITE_ROUNDS ?? 5);
const WRITE_BATCHES = Number(process.env.WRITE_BATCHES ?? (engine === 'sqlite' ? 1000 : 300));

async function open(): Promise<{ store: Store; drop: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kpihub-evc-'));
    const store = openStore({ engine: 'sqlite', path: join(dir, 'm.db') });
    return { store, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `evc_${randomBytes(4).toString('hex')}`;
  const url: DatabaseUrl = { engine: 'postgres', connectionString: pgBase, schema };
  const client = new pg.Client({ connectionString: pgBase });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  const store = openStore(url, { poolSize: 10 });
  return {
    store,
    drop: async () => {
      const c = new pg.Client({ connectionString: pgBase });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x: number) => x.toFixed(1);

async function writes(store: Store, storage: Storage, round: number): Promise<number> {
  const org = await insertOrganization(store.db, `w${round}`);
  const actor = { orgId: org.id, actor: 'm', keyId: 'm', scopes: ['write' as const] };
  const bodies = Array.from({ length: WRITE_BATCHES }, (_, i) =>
    toCoreMessages(JSON.parse(vitallyBatch(`r${round}`, i))),
  );
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < bodies.length) {
        await ingestBatch(storage, actor, bodies[next++], { maxBatch: 100, dedupWindowSeconds: 7 * 86_400 });
      }
    }),
  );
  return (WRITE_BATCHES * 100) / ((performance.now() - started) / 1000);
}

async function load(storage: Storage, orgId: string): Promise<void> {
  const start = Date.parse('2022-01-01T00:00:00Z');
  const perTx = 5_000;
  const receivedAt = new Date().toISOString();
  const started = performance.now();
  for (let done = 0; done < EVENTS; done += perTx) {
    const rows: EventRecord[] = [];
    for (let i = done; i < Math.min(EVENTS, done + perTx); i++) {
      // Spread evenly over the days, in time order (as events mostly arrive).
      const at = new Date(start + Math.floor((i / EVENTS) * DAYS * 86_400_000)).toISOString();
      rows.push({
        id: newId(),
        org_id: orgId,
        user_id: `u${i % 5000}`,
        account_id: i % 3 === 0 ? `a${i % 500}` : null,
        organization_id: null,
        event: `event-${String(i % NAMES).padStart(2, '0')}`,
        properties: '{}',
        occurred_at: at,
        day: at.slice(0, 10),
        message_id: `m${i}`,
        received_at: receivedAt,
      });
    }
    await storage.transaction((tx) => tx.writeRecords(orgId, { events: rows, eventCounts: rows }));
  }
  const s = (performance.now() - started) / 1000;
  console.log(`loaded ${EVENTS} events in ${s.toFixed(1)} s (${Math.round(EVENTS / s)} events/s)`);
}

async function reads(storage: Storage, orgId: string): Promise<void> {
  const shapes: [string, Record<string, string | undefined>][] = [
    ['one name, day, 3 years', { event: 'event-07', granularity: 'day' }],
    ['one name, week, 3 years', { event: 'event-07', granularity: 'week' }],
    ['one name, month, 3 years', { event: 'event-07', granularity: 'month' }],
    [
      'one name, day, 90 days',
      { event: 'event-07', granularity: 'day', from: '2023-03-01', to: '2023-05-29' },
    ],
    ['every name, month, 3 years', { granularity: 'month' }],
    ['every name, week, 3 years', { granularity: 'week' }],
    ['every name, day, 3 years', { granularity: 'day' }],
    ['one name + user_id (exact path), month', { event: 'event-07', granularity: 'month', user_id: 'u7' }],
  ];
  for (const [name, q] of shapes) {
    const times: number[] = [];
    let total = -1;
    try {
      for (let i = 0; i < CALLS + 3; i++) {
        const t = performance.now();
        // biome-ignore lint/suspicious/noExplicitAny: the query shape differs before and after the change
        const r = (await countEvents(storage, orgId, q as any)) as { total: number };
        if (i >= 3) times.push(performance.now() - t);
        total = r.total;
      }
      console.log(
        `${name.padEnd(40)} p50 ${ms(pct(times, 50))} ms  p99 ${ms(pct(times, 99))} ms  (total ${total})`,
      );
    } catch (e) {
      console.log(`${name.padEnd(40)} not answered: ${(e as Error).message}`);
    }
  }
}

async function main() {
  const { store, drop } = await open();
  try {
    await migrateToLatest(store);
    const storage = createStorage(store);
    const rates: number[] = [];
    const cpus: number[] = [];
    for (let r = 0; r < WRITE_ROUNDS; r++) {
      const cpu = process.cpuUsage();
      rates.push(await writes(store, storage, r));
      const used = process.cpuUsage(cpu);
      cpus.push((used.user + used.system) / (WRITE_BATCHES * 100));
    }
    // On SQLite the whole write runs in this process: its CPU time per message is the cost,
    // far less disturbed by other load on the machine than messages/s.
    console.log(
      `[${engine}] Vitally in-process writes, msg/s per round: ${rates.map(Math.round).join(', ')}; median ${Math.round(pct(rates, 50))}; ` +
        `this process's CPU µs/msg: ${cpus.map((c) => c.toFixed(1)).join(', ')}; median ${pct(cpus, 50)?.toFixed(1)}`,
    );
    const org = await insertOrganization(store.db, 'reads');
    await load(storage, org.id);
    await reads(createStorage(store, 'reader'), org.id);
  } finally {
    await store.close();
    await drop();
  }
}

await main();
