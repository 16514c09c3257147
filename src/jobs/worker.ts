import { hostname } from 'node:os';
import { pino } from 'pino';
import { now } from '../core/clock.ts';
import { DomainError, type FieldIssue, Invalid } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { TargetPolicy } from '../core/webhook-targets.ts';
import type { Store } from '../store/database.ts';
import { claimJob, type JobEnd, type JobRow, releaseJob, requeueJob } from '../store/jobs.ts';
import { writeTransaction } from '../store/transactions.ts';
import { backoffMs, failedEnd, outcomeEnd, plusMs, recordEnd } from './job-end.ts';
import { type JobLogger, Run } from './job-run.ts';
import { type PurgeCounts, purgeEndedPayloads } from './payload-retention.ts';
import { type JobEnded, queueEvents } from './queue.ts';
import { type JobHandlers, LeaseLost, WorkerStopping } from './types.ts';

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
  /**
   * Delete the payload of a job that ended this long ago (KPIHUB_JOB_PAYLOAD_RETENTION; 0:
   * right after it ends). Undefined: payloads are kept (a worker made by hand, in tests).
   */
  payloadRetentionMs?: number;
  /** How often the housekeeping (payload retention) runs; default a minute. */
  housekeepingMs?: number;
}

const PUBLIC_ONLY: TargetPolicy = Object.freeze({ allowNames: [], allowRanges: [] });

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
  private readonly payloadRetentionMs: number | undefined;
  private readonly housekeepingMs: number;
  private readonly runs = new Set<Run>();
  private loops: Promise<void>[] = [];
  /** Ends the housekeeping's wait early (a job ended and payloads go at once; stopping). */
  private kickHousekeeping: (() => void) | undefined;
  /** A job ended while the housekeeping was busy: it runs again before waiting. */
  private housekeepingDue = false;
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
    this.payloadRetentionMs = opts.payloadRetentionMs;
    this.housekeepingMs = opts.housekeepingMs ?? 60_000;
    this.id = opts.id ?? `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  }

  /** Starts `concurrency` claim loops in the background. */
  start(): this {
    this.stopping = false;
    queueEvents.on('enqueued', this.onEnqueued);
    for (let i = 0; i < this.concurrency; i++) this.loops.push(this.loop());
    if (this.payloadRetentionMs !== undefined) this.loops.push(this.housekeepingLoop());
    return this;
  }

  /**
   * Stops claiming and hands running jobs back rather than waiting for them (a big import
   * takes longer than a shutdown may): each stops at its next yield, its write rolls back,
   * and its lease is released without counting the attempt, so another worker takes it up
   * at once. Waits up to `graceMs` for that; a job that has not reached a yield by then is
   * handed back all the same (its write can no longer commit: the end it records needs
   * the lease).
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    queueEvents.off('enqueued', this.onEnqueued);
    for (const w of this.wake.splice(0)) w();
    this.kickHousekeeping?.();
    for (const run of this.runs) run.abort.abort(new WorkerStopping(run.row.id));
    const all = Promise.all([...this.loops]);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([all.then(() => 'done' as const), timeout])) === 'timeout') {
      await Promise.all([...this.runs].map((run) => this.handBack(run)));
    }
    this.loops = [];
  }

  /** Releases a running job's lease (stopping): queued again, the attempt not counted. */
  private async handBack(run: Run, log: JobLogger = this.logger.child({ jobId: run.row.id })): Promise<void> {
    if (run.handedBack) return;
    run.handedBack = true;
    try {
      if (await releaseJob(this.store.db, run.row, run.leaseOwner, now()))
        log.info(
          {},
          'job handed back on shutdown: lease released, attempt not counted; another worker takes it up',
        );
    } catch (e) {
      log.warn(
        { err: e },
        'could not hand a job back on shutdown; its lease expires and another worker takes it up',
      );
    }
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

  /** Deletes the payloads of jobs ended more than the retention ago (payload-retention.ts). */
  async housekeep(at = now()): Promise<PurgeCounts> {
    const counts = await purgeEndedPayloads(this.store, plusMs(at, -(this.payloadRetentionMs ?? 0)));
    if (counts.jobs > 0) this.logger.info({ ...counts }, 'deleted the payloads of ended jobs');
    return counts;
  }

  private async housekeepingLoop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.housekeep();
      } catch (e) {
        this.logger.warn({ err: e }, "deleting ended jobs' payloads failed; tried again later");
      }
      if (this.stopping) break;
      if (this.housekeepingDue) {
        this.housekeepingDue = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.kickHousekeeping = undefined;
          resolve();
        };
        const timer = setTimeout(done, this.housekeepingMs);
        this.kickHousekeeping = done;
      });
    }
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
      // Ended inside the handler's own write transaction, which has committed by now.
      else if (run.ended) announceEnd(run.ended);
      log.info({ applied: outcome?.applied }, 'job completed');
    } catch (e) {
      await this.failOrRetry(run, e, log);
    } finally {
      run.stopRenewing();
      this.runs.delete(run);
      if (this.payloadRetentionMs === 0 && run.finished) {
        this.housekeepingDue = true;
        this.kickHousekeeping?.();
      }
    }
  }

  private async end(run: Run, end: JobEnd): Promise<void> {
    const ended = await writeTransaction(this.store, (trx) => recordEnd(trx, run.row, run.leaseOwner, end));
    if (!ended) throw new LeaseLost(run.row.id);
    run.finished = true;
    run.ended = ended;
    announceEnd(ended);
  }

  private async failOrRetry(run: Run, e: unknown, log: JobLogger): Promise<void> {
    if (e instanceof LeaseLost || run.lost) {
      log.warn({}, 'job lease lost: another worker has it');
      return;
    }
    if (e instanceof WorkerStopping || (this.stopping && run.abort.signal.aborted)) {
      await this.handBack(run, log);
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
      await requeueJob(this.store.db, row, run.leaseOwner, plusMs(at, delay), message.slice(0, 2000), at);
      log.warn({ err: e, retryInMs: delay }, 'job attempt failed; will retry');
    } catch (inner) {
      if (inner instanceof LeaseLost) log.warn({}, 'job lease lost while recording its end');
      else log.error({ err: inner }, 'could not record the end of a job; its lease will expire');
    }
  }
}

/** Tells the metrics a job ended (after the commit that ended it). */
function announceEnd(ended: JobRow): void {
  const from = ended.started_at && Date.parse(ended.started_at);
  const to = ended.finished_at && Date.parse(ended.finished_at);
  queueEvents.emit('ended', {
    kind: ended.kind,
    status: ended.status,
    attempts: ended.attempts,
    applied: ended.applied,
    seconds: from && to ? Math.max(0, (to - from) / 1000) : null,
  } satisfies JobEnded);
}
