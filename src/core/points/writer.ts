import { now } from '../clock.ts';
import type { Actor } from '../context.ts';
import { type FieldIssue, Invalid } from '../errors.ts';
import type { Metric } from '../metrics.ts';
import type { Storage } from '../ports/index.ts';
import type { PointStaging } from '../ports/points.ts';
import { notePointWrite } from '../rollups/refresher.ts';
import { MetricCache } from './metric-cache.ts';
import { identity, normalize, type Report, reportMissingId } from './normalize.ts';
import { nextRecord, revision, samePoint } from './point-changes.ts';
import {
  type CheckedInputs,
  MAX_ISSUES,
  type Normalized,
  type PointInput,
  type PointWriter,
  type WriteResult,
} from './point-input.ts';
import type { IdentityKey, PointRecord, RevisionRecord } from './point-record.ts';

// The body of a write transaction: validate against the metric, claim the identities
// written (new ones inserted, stored ones locked and read), write the changes, and append a
// revision for every change.
//
// Writers lock the points they write, not their metrics: writers of one metric run side by
// side, a long import does not hold up a small write of other points of its metric, and a
// file of any number of metrics takes no lock-table entry per metric (a file touching 40,000
// metrics exhausted PostgreSQL's lock table under the per-metric advisory lock this replaced).
// Each chunk claims its identities in one statement, in identity order.

export interface WriterOptions {
  /** A dry run: every input is validated (and deletes looked up), nothing is written. */
  validateOnly?: boolean;
  /**
   * Where metric definitions are read; the write transaction's own Storage when omitted. A
   * file import reads them beside its write connection (a job's pooled Storage): on
   * PostgreSQL a read on the write connection waits behind the stage insert in flight there,
   * and Node and PostgreSQL took turns (issue 14). A definition is not locked by a write
   * either way, and an import changes none.
   */
  lookups?: Storage;
}

interface Resolved {
  normalized: Normalized[];
  /** The stored records of the inputs' identities, by identity key. */
  current: Map<string, PointRecord>;
  /** Records this call inserted (each its identity's first input), by identity key. */
  claimed: Map<string, PointRecord>;
}

class Writer implements PointWriter {
  readonly issues: FieldIssue[] = [];
  applied = 0;
  private readonly metrics: MetricCache;
  /** Where add() or remove() keeps a batch's inputs for flush(), once stageWrites() was called. */
  private staging: PointStaging | undefined;
  private stagedOp: 'add' | 'remove' = 'add';
  private readonly report: Report = (i) => {
    if (this.issues.length < MAX_ISSUES) this.issues.push(i);
  };

  private readonly validateOnly: boolean;

  constructor(
    private readonly tx: Storage,
    private readonly actor: Actor,
    known: Metric[] = [],
    opts: WriterOptions = {},
  ) {
    this.validateOnly = opts.validateOnly ?? false;
    this.metrics = new MetricCache(opts.lookups ?? tx, actor.orgId);
    this.metrics.seed(known);
  }

  /** Writing stops at the first problem (we go on validating, to report them all), or never starts in a dry run. */
  private get holding(): boolean {
    return this.validateOnly || this.issues.length > 0;
  }

  /** Each input checked against its metric (and the point it names by id); the problems reported. */
  private async validate(inputs: PointInput[]): Promise<Normalized[]> {
    await this.metrics.load(inputs.map((i) => i.metricId));
    const ids = inputs.flatMap((i) => (i.id === undefined ? [] : [i.id]));
    const byId = new Map((await this.tx.pointsByIds(this.actor.orgId, ids)).map((r) => [r.id, r]));
    return normalizeAll(inputs, this.metrics, byId, this.report);
  }

  /**
   * The inputs as checked ahead, if every metric they were checked against reads the same
   * now (a definition may have changed since: then they are checked again).
   */
  private async validateChecked(inputs: PointInput[], checked: CheckedInputs | undefined) {
    if (!checked) return this.validate(inputs);
    await this.metrics.load(checked.metrics.keys());
    for (const [id, json] of checked.metrics)
      if (JSON.stringify(this.metrics.get(id)) !== json) return this.validate(inputs);
    for (const issue of checked.issues) this.report(issue);
    return checked.normalized;
  }

  /**
   * Loads the stored records validated inputs name (by id or identity), locked.
   * Undefined once any problem was found: after the first problem we only validate, to
   * report every problem of the request. A remove (`op`) still loads the records of valid
   * inputs then, for deletes, whose "not there" is a problem of its own. An add made at `at`
   * claims its identities: the new ones are inserted as their first input makes them.
   */
  private async resolve(
    normalized: Normalized[],
    op: 'add' | 'remove',
    at: string,
  ): Promise<Resolved | undefined> {
    const { orgId } = this.actor;
    if (this.holding && op === 'add') return undefined;

    // Every stored record is read again under its lock, those named by id too: the ones read
    // by id above may predate a concurrent write that committed before we got the lock
    // (comparing with them would lose that write, or skip ours as "unchanged").
    const current = new Map<string, PointRecord>();
    const claimed = new Map<string, PointRecord>();
    const keep = (r: PointRecord) =>
      current.set(identity(r.metric_id, r.period_start, r.period_end, r.coord_key), r);
    if (op === 'add') {
      for (const n of normalized)
        if (!claimed.has(n.key)) claimed.set(n.key, nextRecord(n, undefined, undefined, this.actor, at));
      for (const r of await this.tx.claimPoints([...claimed.values()])) keep(r);
      for (const key of current.keys()) claimed.delete(key);
    } else {
      const keysOf = new Map<string, IdentityKey[]>();
      for (const n of normalized) {
        const keys = keysOf.get(n.metricId) ?? keysOf.set(n.metricId, []).get(n.metricId);
        keys?.push({ period_start: n.start, period_end: n.end, coord_key: n.coordKey });
      }
      // Metrics in id order, keys in identity order (the store sorts them): claimPoints' order.
      for (const metricId of [...keysOf.keys()].sort()) {
        const keys = keysOf.get(metricId) ?? [];
        for (const r of await this.tx.pointsByIdentity(orgId, metricId, keys, { lock: !this.holding }))
          keep(r);
      }
    }
    for (const n of normalized) {
      if (n.byId && current.get(n.key)?.deleted_at !== null) {
        reportMissingId(n.input, this.report); // deleted by another writer between our read and the lock
      }
    }
    if (this.holding && op === 'add') return undefined;
    return { normalized, current, claimed };
  }

  stageWrites(inMemory = 0): void {
    if (!this.validateOnly) this.staging = this.tx.pointStaging(inMemory);
  }

  async flush(size: number, progress?: () => void | Promise<void>): Promise<void> {
    const staging = this.staging;
    this.staging = undefined;
    if (!staging || (this.holding && this.stagedOp === 'add')) return;
    // Staged inputs were checked when staged: they are written as they come back. Adds let
    // the store write the new points of each piece itself (their records were made when
    // staged), and the inputs of taken identities come back, locked, to be written here. The
    // next piece is read back while the one before is being written (issue 14: on one
    // connection Node and PostgreSQL had taken turns); the next piece's claim locks greater
    // identities only, and the last piece's are all locked already.
    //
    // Two pieces may be in hand at once when they hold different identities: the next one
    // starts once the last one's points are locked, so its records are made while the last
    // one's changes are written, and the locks are still taken in identity order. A piece
    // that starts with the identity the last one ended with waits for it to be written.
    const adding = this.stagedOp === 'add';
    const { requestId, jobId } = this.actor;
    const pages = staging.drain(size, adding ? { requestId, jobId } : undefined)[Symbol.asyncIterator]();
    let before: Promise<unknown> = Promise.resolve();
    let last: Promise<unknown> = Promise.resolve();
    let lastLocked: Promise<void> = Promise.resolve();
    let lastKey: string | undefined;
    let drained: { error: unknown } | undefined;
    try {
      for (let page = await pages.next(); !page.done; page = await pages.next()) {
        const { points, written } = page.value;
        await before;
        await lastLocked;
        if (points.length > 0 && points[0].key === lastKey) await last;
        await progress?.();
        this.applied += written;
        if (written > 0) notePointWrite();
        if (points.length === 0) continue;
        let locked = () => {};
        lastLocked = new Promise<void>((resolve) => {
          locked = resolve;
        });
        before = last;
        last = adding ? this.writeValidated(points, locked) : this.removeValidated(points, locked);
        lastKey = points[points.length - 1].key;
        // Awaited on a later turn (or below); handled now so that a failure never goes unhandled
        // meanwhile. A write that fails before its points are locked releases the next piece.
        last.then(locked, locked);
      }
    } catch (error) {
      drained = { error };
    }
    // Both writes settle before the transaction may end; a failure of either fails the flush,
    // and is the one reported: the store's own statements for the next page (which it may
    // run beside a write) fail only because the failed write aborted the transaction.
    for (const settled of await Promise.allSettled([before, last]))
      if (settled.status === 'rejected') throw settled.reason;
    if (drained) throw drained.error;
    await progress?.();
  }

  async add(inputs: PointInput[], checked?: CheckedInputs): Promise<WriteResult> {
    if (!this.staging) return this.write(inputs);
    await this.stage(this.staging, inputs, 'add', checked);
    return { rows: [], inserted: 0, updated: 0, unchanged: 0 };
  }

  /**
   * Validated now (every problem of a batch is found before anything is written), kept
   * normalized with the identity it writes, written by flush() without a second check (a
   * metric's definition is read once per transaction either way: it is not locked). A batch
   * either adds or removes.
   */
  private async stage(
    staging: PointStaging,
    inputs: PointInput[],
    op: 'add' | 'remove',
    checked: CheckedInputs | undefined,
  ): Promise<void> {
    this.stagedOp = op;
    // The rollup refresher waits while points are written, checks included (refresher.ts).
    notePointWrite();
    const normalized = await this.validateChecked(inputs, checked);
    // Once a problem is found, adds are only validated; deletes are still kept, to be looked
    // up by flush() and reported when not there (a problem of their own).
    if (this.holding && op === 'add') return;
    const at = now();
    await staging.add(
      normalized.map((n) => ({
        metric_id: n.metricId,
        period_start: n.start,
        period_end: n.end,
        coord_key: n.coordKey,
        point: n,
      })),
      op === 'add' ? (n) => nextRecord(n, undefined, undefined, this.actor, at) : undefined,
    );
  }

  private async write(inputs: PointInput[]): Promise<WriteResult> {
    if (inputs.length === 0) return { rows: [], inserted: 0, updated: 0, unchanged: 0 };
    return this.writeValidated(await this.validate(inputs));
  }

  /** `locked`: called once the inputs' points are locked (flush() starts the next piece then). */
  private async writeValidated(normalized: Normalized[], locked?: () => void): Promise<WriteResult> {
    const result: WriteResult = { rows: [], inserted: 0, updated: 0, unchanged: 0 };
    const at = now();
    const resolved = await this.resolve(normalized, 'add', at);
    locked?.();
    if (!resolved) return result;
    const { current, claimed } = resolved;
    const out = result.rows;
    const revisions: RevisionRecord[] = [];
    const changed = new Map<string, PointRecord>();
    const inserted: PointRecord[] = [];
    for (const n of normalized) {
      const key = n.key;
      const made = claimed.get(key);
      if (made) {
        // The identity's first input: claimPoints stored the record it makes.
        claimed.delete(key);
        current.set(key, made);
        inserted.push(made);
        revisions.push(revision(made, 'insert', null, this.actor, at));
        result.inserted++;
        out.push(made);
        continue;
      }
      const prev = current.get(key);
      const live = prev && prev.deleted_at === null ? prev : undefined;
      const next = nextRecord(n, live, prev, this.actor, at);
      if (!live || !samePoint(live, next)) {
        changed.set(key, next);
        current.set(key, next);
        revisions.push(revision(next, live ? 'update' : 'insert', live ? live.value : null, this.actor, at));
        if (live) result.updated++;
        else result.inserted++;
        out.push(next);
      } else {
        // Unchanged: nothing is written, so the answer is the point as stored.
        result.unchanged++;
        out.push(live);
      }
    }
    await this.tx.savePoints([...changed.values()], revisions, inserted);
    notePointWrite();
    this.applied += normalized.length;
    return result;
  }

  /** Marks the named points deleted (their records stay, for ids and history). Each must exist. */
  async remove(inputs: PointInput[], checked?: CheckedInputs): Promise<number> {
    if (inputs.length === 0) return 0;
    if (this.staging) {
      await this.stage(this.staging, inputs, 'remove', checked);
      return 0;
    }
    return this.removeValidated(await this.validate(inputs));
  }

  private async removeValidated(normalized: Normalized[], locked?: () => void): Promise<number> {
    const at = now();
    const resolved = await this.resolve(normalized, 'remove', at);
    locked?.();
    if (!resolved) return 0;
    const changed = new Map<string, PointRecord>();
    const revisions: RevisionRecord[] = [];
    for (const n of resolved.normalized) {
      const key = n.key;
      const live = resolved.current.get(key);
      if (!live || live.deleted_at !== null) {
        if (n.byId) continue; // a missing id was reported by resolve
        const { path: field, line } = n.input;
        this.report({
          field,
          message: 'no data point at this period and coordinates',
          line,
          code: 'not_found',
        });
        continue;
      }
      const gone = { ...live, value: null, deleted_at: at, updated_at: at, updated_by: this.actor.actor };
      resolved.current.set(key, gone);
      changed.set(key, gone);
      revisions.push(revision(gone, 'delete', live.value, this.actor, at));
    }
    if (this.holding) return 0;
    await this.tx.savePoints([...changed.values()], revisions);
    notePointWrite();
    this.applied += changed.size;
    return changed.size;
  }
}

function normalizeAll(
  inputs: PointInput[],
  metrics: MetricCache,
  byId: Map<string, PointRecord>,
  report: Report,
): Normalized[] {
  const normalized: Normalized[] = [];
  for (const input of inputs) {
    const n = normalize(input, metrics.get(input.metricId), byId, report);
    if (n) normalized.push(n);
  }
  return normalized;
}

/**
 * Checks inputs ahead of their write, reading metrics through `storage` (outside any write):
 * what a writer's add() or remove() would find, for it to use if the metrics are the same
 * then. Undefined for inputs that name points by id (those are read under the write's lock),
 * and for none. `metrics`: a cache of the organization's to read them through, if shared.
 */
export async function checkInputs(
  storage: Storage,
  orgId: string,
  inputs: PointInput[],
  metrics = new MetricCache(storage, orgId),
): Promise<CheckedInputs | undefined> {
  if (inputs.length === 0 || inputs.some((i) => i.id !== undefined)) return undefined;
  const ids = [...new Set(inputs.map((i) => i.metricId))];
  await metrics.load(ids);
  const issues: FieldIssue[] = [];
  const normalized = normalizeAll(inputs, metrics, new Map(), (i) => {
    if (issues.length < MAX_ISSUES) issues.push(i);
  });
  return { metrics: new Map(ids.map((id) => [id, JSON.stringify(metrics.get(id))])), normalized, issues };
}

/**
 * Runs `fn` with a writer over `tx` (a write transaction's Storage); any problem the writer
 * found fails the whole write with Invalid listing them, so the transaction rolls back.
 */
export async function runWriter<T>(
  tx: Storage,
  actor: Actor,
  known: Metric[],
  fn: (w: PointWriter) => Promise<T>,
  opts: WriterOptions = {},
): Promise<T> {
  const writer = new Writer(tx, actor, known, opts);
  const out = await fn(writer);
  if (writer.issues.length) throw new Invalid(writer.issues);
  return out;
}
