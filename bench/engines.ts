// Which database engines a bench run measures, and PostgreSQL schemas of their own for it.
// Both engines by default; BENCH_ENGINES=sqlite or =postgres runs one. A section whose
// PostgreSQL does not answer measures SQLite alone and says so in a note.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { BenchSection, BenchServer } from './types.ts';

export const PG_BASE = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type EngineName = 'sqlite' | 'postgres';

/**
 * The engines asked for: BENCH_ENGINES (or `fallback`, e.g. the read section's older
 * BENCH_READ_ENGINES), a comma-separated list; both when neither is set.
 */
export function wantedEngines(fallback?: string): Set<EngineName> {
  const list = (process.env.BENCH_ENGINES ?? fallback ?? 'sqlite,postgres').split(',');
  return new Set(
    list.map((s) => s.trim()).filter((s): s is EngineName => s === 'sqlite' || s === 'postgres'),
  );
}

export const pgUnreachableNote = () => `PostgreSQL unreachable at ${PG_BASE}: its half was skipped.`;

/** Whether PostgreSQL answers within 3 s (checked once per section, before any work). */
export async function pgAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface PgSchema {
  /** The schema's name: raw SQL qualifies its tables with it. */
  name: string;
  /** KPIHUB_DATABASE_URL for a server (or openStore) that keeps its tables in this schema. */
  databaseUrl: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty schema (so every measurement starts from empty tables, as the SQLite side
 * starts from a fresh file); `drop` removes it with everything in it.
 */
export async function pgSchema(prefix = 'bench'): Promise<PgSchema> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: PG_BASE });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create schema ${name}`);
  return {
    name,
    databaseUrl: `${PG_BASE}${PG_BASE.includes('?') ? '&' : '?'}schema=${name}`,
    drop: () => admin(`drop schema if exists ${name} cascade`),
  };
}

/** A KPI Hub server started with `start` for the time of `use`, stopped after. */
export async function withServer<T>(
  start: () => Promise<BenchServer>,
  use: (server: BenchServer) => Promise<T>,
): Promise<T> {
  const server = await start();
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}

/**
 * A KPI Hub server on PostgreSQL in a schema of its own for the time of `use`: started
 * with `start` (BenchEnv.startServer, given the KPIHUB_DATABASE_URL), stopped and its
 * schema dropped after.
 */
export async function withPgServer<T>(
  start: (env: Record<string, string>) => Promise<BenchServer>,
  use: (server: BenchServer) => Promise<T>,
): Promise<T> {
  const schema = await pgSchema();
  try {
    return await withServer(() => start({ KPIHUB_DATABASE_URL: schema.databaseUrl }), use);
  } finally {
    await schema.drop();
  }
}

export type SectionPart = Omit<BenchSection, 'title'>;

/**
 * A write section on the engines asked for: the SQLite half, then the PostgreSQL half when
 * PostgreSQL answers (a note says when it does not), in one section. The halves run one
 * after the other, so a PostgreSQL half may compare with figures its SQLite half kept.
 */
export async function onEngines(
  title: (engines: string) => string,
  halves: Record<EngineName, () => Promise<SectionPart>>,
): Promise<BenchSection> {
  const wanted = wantedEngines();
  const notes: string[] = [];
  const parts: SectionPart[] = [];
  const labels: string[] = [];
  // Every figure, ratio and note is prefixed with its engine, so one table holds both.
  const add = (label: string, part: SectionPart) => {
    const named = <T extends { name: string }>(x: T) => ({ ...x, name: `${label}: ${x.name}` });
    parts.push({
      figures: part.figures.map(named),
      ratios: part.ratios.map(named),
      notes: (part.notes ?? []).map((n) => `${label}: ${n}`),
    });
    labels.push(label);
  };
  if (wanted.has('sqlite')) add('SQLite', await halves.sqlite());
  if (wanted.has('postgres')) {
    if (await pgAnswers()) add('PostgreSQL', await halves.postgres());
    else notes.push(pgUnreachableNote());
  }
  return {
    title: title(labels.join(' and ') || 'no engine'),
    figures: parts.flatMap((p) => p.figures),
    ratios: parts.flatMap((p) => p.ratios),
    notes: [...parts.flatMap((p) => p.notes ?? []), ...notes],
  };
}
