import { setImmediate as nextTurn } from 'node:timers/promises';
import { now } from '../core/clock.ts';
import type { Actor, Scope } from '../core/context.ts';
import { clearLiveProgress, setLiveProgress } from '../core/live-progress.ts';
import type { TargetPolicy } from '../core/webhook-targets.ts';
import type { Store } from '../store/database.ts';
import { type JobRow, nextQueuedInOrder, renewLease } from '../store/jobs.ts';
import { withPinnedConnection } from '../store/pinned.ts';
import { createStorage } from '../store/storage.ts';
import { outcomeEnd, plusMs, recordEnd } from './job-end.ts';
import { readPayload } from './queue.ts';
import { type JobContext, LeaseLost, WorkerStopping } from './types.ts';

/** The part of a pino (or Fastify) logger the worker uses. */
export interface JobLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): JobLogger;
}

/** What a run needs of the worker that claimed it. */
export interface RunHost {
  readonly store: Store;
  readonly leaseMs: number;
  readonly logger: JobLogger;
  readonly webhookTargets: TargetPolicy;
}

function parseMeta(row: Pick<JobRow, 'meta'>): Record<string, unknown> {
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

/** One running job: its lease, its progress, and the context its handler sees. */
export class Run {
  readonly abort = new AbortController();
  progressJson: string | undefined;
  progressDirty = false;
  finished = false;
  /** Its row as it ended, once it has (for the 'ended' event, sent after the commit). */
  ended: JobRow | undefined;
  lost = false;
  /** Its lease was given back on shutdown. */
  handedBack = false;
  private renewing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly worker: RunHost,
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
        this.row,
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
      storage: createStorage(this.worker.store),
      webhookTargets: this.worker.webhookTargets,
      signal: this.abort.signal,
      payload: () => readPayload(this.worker.store, this.row.id),
      nextInOrder: async () => {
        const next = await nextQueuedInOrder(this.worker.store.db, this.row);
        return (
          next && {
            id: next.id,
            kind: next.kind,
            meta: parseMeta(next),
            payload: () => readPayload(this.worker.store, next.id),
          }
        );
      },
      progress(counters) {
        run.progressJson = JSON.stringify(counters);
        run.progressDirty = true;
        setLiveProgress(run.row.id, run.progressJson);
      },
      async yield() {
        await nextTurn();
        if (run.lost) throw new LeaseLost(run.row.id);
        // Shutting down: stop here, so the write rolls back and the job is handed back.
        if (run.abort.signal.aborted) throw new WorkerStopping(run.row.id);
      },
      write: (fn) =>
        withPinnedConnection(this.worker.store, (pinned, joined, beside) =>
          fn(
            createStorage(pinned),
            async (outcome) => {
              if (run.lost) throw new LeaseLost(run.row.id);
              const ended = await recordEnd(
                joined,
                run.row,
                run.leaseOwner,
                outcomeEnd(outcome, run.progressJson),
              );
              if (!ended) throw new LeaseLost(run.row.id);
              run.finished = true;
              run.ended = ended;
            },
            beside && createStorage(beside),
          ),
        ),
    };
  }
}
