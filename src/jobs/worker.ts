import { hostname } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { now } from '../core/clock.ts';
import type { Actor, Scope } from '../core/context.ts';
import { DomainError, type FieldIssue, Invalid } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { clearLiveProgress, setLiveProgress } from '../core/live-progress.ts';
import type { TargetPolicy } from '../core/webhook-targets.ts';
import type { Store } from '../store/database.ts';
import { claimJob, endJob, type JobEnd, type JobRow, renewLease, requeueJob } from '../store/jobs.ts';
import type { DB } from '../store/schema.ts';
import { writeTransaction } from '../store/transactions.ts';
import { rejectedItems } from './issues.ts';
import { queueEvents, readPayload } from './queue.ts';
import { type JobContext, type JobHandlers, type JobOutcome, LeaseLost } from './types.ts';
import { enqueueWebhookDelivery } from './webhooks.ts';

/** The part of a pino (or Fastify) logger the worker uses. */
export interface JobLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): JobLogger;
}

export interface WorkerOptions {
  store: Store;
  handlers: JobHandlers;
  logger?: JobLogger;
  /** Jobs run at the same time by this worker. */
  concurrency?: number;
  leaseSeconds?: number;
  /** How often an idle worker looks for due jobs (new local jobs wake it at once). */
  pollMs?: number;
  /** First retry delay after an infrastructure error; doubles per attempt, with jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Names this worker in lease_owner (default host:pid:random). */
  id?: string;
  /** Where webhook deliveries may connect (config.webhookTargets); default public addresses only. */
  webhookTargets?: TargetPolicy;
}

const PUBLIC_ONLY: TargetPolicy = Object.freeze({ allowNames: [], allowRanges: [] });

const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/** Delay before retry `attempt` (1-based): base·2^(attempt-1), capped, with ±25% jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.75 + Math.random() * 0.5));
}

function parseMeta(row: JobRow): Record<string, unknown> {
  try {
    return JSON.parse(row.meta) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function actorOf(row: JobRow, meta: Record<string, unknown>): Actor {
  const a = (meta.actor ?? {}) as { actor?: string; keyId?: string; scopes?: Scope[]; requestId?: string };
  return {
    orgId: row.org_id,
    actor: a.actor ?? row.created_by ?? 'job',
    keyId: a.keyId ?? '',
    scopes: a.scopes ?? [],
    ...(a.requestId ? { requestId: a.requestId } : {}),
    jobId: row.id,
  };
}

/**
 * Records how a job ended (only if `leaseOwner` still holds it) and, for jobs that are not
 * the queue's own, schedules the organization's webhook, in the given transaction.
 */
export async function recordEnd(
  trx: Kysely<DB>,
  row: JobRow,
  leaseOwner: string,
  end: JobEnd,
): Promise<JobRow | undefined> {
  const ended = await endJob(trx, row.id, leaseOwner, end, now());
  if (ended && !ended.internal) await enqueueWebhookDelivery(trx, ended);
  return ended;
}

function outcomeEnd(outcome: JobOutcome | undefined, progress: string | undefined): JobEnd {
  return {
    status: 'completed',
    ...(outcome?.received === undefined ? {} : { received: outcome.received }),
    applied: outcome?.applied ?? 0,
    rejected: 0,
    errors: null,
    result: outcome?.result ? JSON.stringify(outcome.result) : null,
    progress: progress ?? null,
  };
}

function failedEnd(issues: FieldIssue[], progress: string | undefined): JobEnd {
  return {
    status: 'failed',
    applied: 0,
    rejected: rejectedItems(issues),
    errors: JSON.stringify(issues),
    result: null,
    progress: progress ?? null,
  };
}

/** One running job: its lease, its progress, and the context its handler sees. */
class Run {
  readonly abort = new AbortController();
  progressJson: string | undefined;
  progressDirty = false;
  finished = false;
  lost = false;
  private renewing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly worker: Worker,
    readonly row: JobRow,
  ) {}

  get leaseOwner(): string {
    return this.row.lease_owner as string;
  }

  startRenewing(everyMs: number): void {
    this.timer = setInterval(() => void this.renew(), everyMs);
    this.timer.unref();
  }

  stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    clearLiveProgress(this.row.id);
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.finished || this.lost) return;
    this.renewing = true;
    const progress = this.progressDirty ? this.progressJson : undefined;
    this.progressDirty = false;
    try {
      const at = now();
      const ok = await renewLease(
        this.worker.store.db,
        this.row.id,
        this.leaseOwner,
        plusMs(at, this.worker.leaseMs),
        progress,
        at,
      );
      if (!ok && !this.finished) {
        this.lost = true;
        this.abort.abort(new LeaseLost(this.row.id));
      }
    } catch (e) {
      // The database is unreachable for a moment: try again at the next tick; if the lease
      // expires meanwhile, another worker takes the job and our finish() is refused.
      if (progress !== undefined) this.progressDirty = true;
      this.worker.logger.warn({ err: e, jobId: this.row.id }, 'lease renewal failed');
    } finally {
      this.renewing = false;
    }
  }

  context(): JobContext {
    const meta = parseMeta(this.row);
    const run = this;
    return {
      job: this.row,
      meta,
      actor: actorOf(this.row, meta),
      store: this.worker.store,
      webhookTargets: this.worker.webhookTargets,
      signal: this.abort.signal,
      payload: () => readPayload(this.worker.store, this.row.id),
      progress(counters) {
        run.progressJson = JSON.stringify(counters);
        run.progressDirty = true;
        setLiveProgress(run.row.id, run.progressJson);
      },
      async yield() {
        await nextTurn();
        if (run.lost) throw new LeaseLost(run.row.id);
      },
      async finish(trx, outcome) {
        if (run.lost) throw new LeaseLost(run.row.id);
        const ended = await recordEnd(trx, run.row, run.leaseOwner, outcomeEnd(outcome, run.progressJson));
        if (!ended) throw new LeaseLost(run.row.id);
        run.finished = true;
      },
    };
  }
}

/**
 * Claims due jobs and runs their handlers. Several workers (in one process or many, on one
 * database) never run one job at once: each claim is a lease that only its holder can
 * renew or end, and a job whose worker died is claimed again once its lease expires.
 */
export class Worker {
  readonly store: Store;
  readonly logger: JobLogger;
  readonly id: string;
  readonly leaseMs: number;
  readonly webhookTargets: TargetPolicy;
  private readonly handlers: JobHandlers;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly runs = new Set<Run>();
  private loops: Promise<void>[] = [];
  private stopping = false;
  private wake: (() => void)[] = [];
  private readonly onEnqueued = (kind: string) => {
    if (kind in this.handlers) for (const w of this.wake.splice(0)) w();
  };

  constructor(opts: WorkerOptions) {
    this.store = opts.store;
    this.handlers = opts.handlers;
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.concurrency = opts.concurrency ?? 1;
    this.leaseMs = (opts.leaseSeconds ?? 30) * 1000;
    this.webhookTargets = opts.webhookTargets ?? PUBLIC_ONLY;
    this.pollMs = opts.pollMs ?? 200;
    this.retryBaseMs = opts.retryBaseMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 5 * 60_000;
    this.id = opts.id ?? `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  }

  /** Starts `concurrency` claim loops in the background. */
  start(): this {
    this.stopping = false;
    queueEvents.on('enqueued', this.onEnqueued);
    for (let i = 0; i < this.concurrency; i++) this.loops.push(this.loop());
    return this;
  }

  /**
   * Stops claiming and waits up to `graceMs` for running jobs to end. Jobs still running
   * then are abandoned (never committed): their leases expire and another worker redoes them.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    queueEvents.off('enqueued', this.onEnqueued);
    for (const w of this.wake.splice(0)) w();
    const all = Promise.all([...this.loops]);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([all.then(() => 'done' as const), timeout])) === 'timeout') {
      for (const run of this.runs) run.abort.abort(new Error('worker stopping'));
      await Promise.race([all, new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    this.loops = [];
  }

  /** Claims and runs one due job; false when there was none. */
  async runOnce(): Promise<boolean> {
    const at = now();
    const token = `${this.id}/${newId()}`;
    const row = await claimJob(this.store, Object.keys(this.handlers), token, at, plusMs(at, this.leaseMs));
    if (!row) return false;
    await this.run(row);
    return true;
  }

  /** Runs due jobs until none is left (tests, and `kpihub worker --once`). */
  async drain(): Promise<number> {
    let n = 0;
    while (await this.runOnce()) n++;
    return n;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let ran = false;
      try {
        ran = await this.runOnce();
      } catch (e) {
        this.logger.error({ err: e }, 'job claim failed');
      }
      if (!ran && !this.stopping) await this.sleep(this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.wake = this.wake.filter((w) => w !== done);
        resolve();
      }, ms);
      this.wake.push(done);
    });
  }

  private async run(row: JobRow): Promise<void> {
    const run = new Run(this, row);
    const log = this.logger.child({ jobId: row.id, kind: row.kind, attempt: row.attempts });
    this.runs.add(run);
    run.startRenewing(Math.max(50, Math.floor(this.leaseMs / 3)));
    try {
      if (row.attempts > row.max_attempts) {
        // Claimed again and again without ever ending: its worker keeps dying on it.
        await this.end(
          run,
          failedEnd([{ field: '', message: `gave up after ${row.max_attempts} attempts` }], undefined),
        );
        log.error({}, 'job failed: its worker stopped on every attempt');
        return;
      }
      const handler = this.handlers[row.kind];
      const outcome = await handler(run.context());
      if (!run.finished) await this.end(run, outcomeEnd(outcome, run.progressJson));
      log.info({ applied: outcome?.applied }, 'job completed');
    } catch (e) {
      await this.failOrRetry(run, e, log);
    } finally {
      run.stopRenewing();
      this.runs.delete(run);
    }
  }

  private async end(run: Run, end: JobEnd): Promise<void> {
    const ended = await writeTransaction(this.store, (trx) => recordEnd(trx, run.row, run.leaseOwner, end));
    if (!ended) throw new LeaseLost(run.row.id);
    run.finished = true;
  }

  private async failOrRetry(run: Run, e: unknown, log: JobLogger): Promise<void> {
    if (e instanceof LeaseLost || run.lost) {
      log.warn({}, 'job lease lost: another worker has it');
      return;
    }
    try {
      if (e instanceof DomainError) {
        const issues =
          e instanceof Invalid ? e.issues : [{ field: '', message: e.message, code: e.kind } as FieldIssue];
        await this.end(run, failedEnd(issues, run.progressJson));
        log.info({ issues: issues.length }, 'job failed');
        return;
      }
      const { row } = run;
      if (this.stopping && run.abort.signal.aborted) return; // abandoned on shutdown: retaken later
      if (row.attempts >= row.max_attempts) {
        await this.end(
          run,
          failedEnd(
            [{ field: '', message: `internal error after ${row.attempts} attempts` }],
            run.progressJson,
          ),
        );
        log.error({ err: e }, 'job failed after its last attempt');
        return;
      }
      const at = now();
      const delay = backoffMs(row.attempts, this.retryBaseMs, this.retryMaxMs);
      const message = e instanceof Error ? e.message : String(e);
      await requeueJob(this.store.db, row.id, run.leaseOwner, plusMs(at, delay), message.slice(0, 2000), at);
      log.warn({ err: e, retryInMs: delay }, 'job attempt failed; will retry');
    } catch (inner) {
      if (inner instanceof LeaseLost) log.warn({}, 'job lease lost while recording its end');
      else log.error({ err: inner }, 'could not record the end of a job; its lease will expire');
    }
  }
}
