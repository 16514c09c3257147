import type { Kysely } from 'kysely';
import { UNFINISHED } from './jobs.ts';
import type { DB } from './schema.ts';

/** Unfinished jobs of one kind and status, and the earliest time one of them became due. */
export interface QueueCount {
  kind: string;
  status: string;
  count: number;
  /** The earliest run_after among them: for queued jobs, how long the oldest due one has waited. */
  oldest_due: string | null;
}

/**
 * The queue's unfinished jobs by kind and status, across organizations (an operator's view,
 * for /metrics and /ready). Only staging, queued and running rows are read, through the
 * (status, run_after) index: ended jobs, however many, cost nothing.
 */
export async function queueCounts(db: Kysely<DB>): Promise<QueueCount[]> {
  const rows = await db
    .selectFrom('jobs')
    .select((eb) => [
      'kind',
      'status',
      eb.fn.countAll<number | string>().as('count'),
      eb.fn.min('run_after').as('oldest_due'),
    ])
    .where('status', 'in', UNFINISHED)
    .groupBy(['kind', 'status'])
    .execute();
  return rows.map((r) => ({
    kind: r.kind,
    status: r.status,
    count: Number(r.count),
    oldest_due: r.oldest_due === null ? null : String(r.oldest_due),
  }));
}

/** Months of any metric still waiting for their rollups to be recomputed (the refresher's backlog). */
export async function rollupBacklog(db: Kysely<DB>): Promise<number> {
  // A month written by several transactions has a mark of each (migrations/0011-mark-versions.ts).
  const row = await db
    .selectFrom((eb) => eb.selectFrom('rollup_marks').select(['metric_id', 'month']).distinct().as('m'))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
