// The databases the reliability scripts run against: a SQLite file in a scratch folder, and a
// fresh schema of the local PostgreSQL (KPIHUB_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres)
// when it answers. RELIABILITY_ENGINES=sqlite (or postgres) keeps one.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';

export interface ScratchDatabase {
  engine: 'sqlite' | 'postgres';
  /** A KPIHUB_DATABASE_URL. */
  url: string;
  drop(): Promise<void>;
}

const PG = process.env.KPIHUB_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function pgQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function scratchDatabases(dir: string): Promise<ScratchDatabase[]> {
  const wanted = (process.env.RELIABILITY_ENGINES ?? 'sqlite,postgres').split(',');
  const out: ScratchDatabase[] = [];
  if (wanted.includes('sqlite')) {
    out.push({ engine: 'sqlite', url: `sqlite:${join(dir, 'reliability.db')}`, drop: async () => {} });
  }
  if (wanted.includes('postgres')) {
    const schema = `rel_${randomBytes(5).toString('hex')}`;
    try {
      await pgQuery(`create schema ${schema}`);
      out.push({
        engine: 'postgres',
        url: `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}`,
        drop: () => pgQuery(`drop schema if exists ${schema} cascade`),
      });
    } catch (e) {
      process.stdout.write(`PostgreSQL not reachable (${(e as Error).message}): SQLite only\n`);
    }
  }
  return out;
}
