import { now } from '../clock.ts';
import type { Actor } from '../context.ts';
import { type FieldIssue, Invalid } from '../errors.ts';
import type { Metric } from '../metrics.ts';
import type { Storage } from '../ports/index.ts';
import { notePointWrite } from '../rollups/refresher.ts';
import { MetricCache } from './metric-cache.ts';
import { identity, type Normalized, normalize, type Report, reportMissingId } from './normalize.ts';
import { nextRecord, revision, samePoint } from './point-changes.ts';
import { MAX_ISSUES, type PointInput, type PointWriter, type WriteResult } from './point-input.ts';
import type { IdentityKey, PointRecord, RevisionRecord } from './point-record.ts';

// The body of a write transaction: validate against the metric, resolve identities under
// the metrics' locks, upsert, and append a revision for every change.

interface Resolved {
  normalized: Normalized[];
  /** The stored records of the inputs' identities, by identity key. */
  current: Map<string, PointRecord>;
}

class Writer implements PointWriter {
  readonly issues: FieldIssue[] = [];
  applied = 0;
  private readonly metrics: MetricCache;
  private readonly locked = new Set<string>();
  private readonly report: Report = (i) => {
    if (this.issues.length < MAX_ISSUES) this.issues.push(i);
  };

  constructor(
    private readonly tx: Storage,
    private readonly actor: Actor,
    known: Metric[] = [],
    /** A dry run: every input is validated (and deletes looked up), nothing is written. */
    private readonly validateOnly = false,
  ) {
    this.metrics = new MetricCache(tx, actor.orgId);
    this.metrics.seed(known);
  }

  /** Writing stops at the first problem (we go on validating, to report them all), or never starts in a dry run. */
  private get holding(): boolean {
    return this.validateOnly || this.issues.length > 0;
  }

  /**
   * Validates inputs and loads the stored records they name (by id or identity), under the
   * metrics' write locks. Undefined once any problem was found: after the first problem
   * we only validate, to report every problem of the request. `lookUp` still loads the
   * records of valid inputs then, for deletes, whose "not there" is a problem of its own.
   */
  private async resolve(inputs: PointInput[], lookUp = false): Promise<Resolved | undefined> {
    const { orgId } = this.actor;
    await this.metrics.load(inputs.map((i) => i.metricId));
    const ids = inputs.flatMap((i) => (i.id === undefined ? [] : [i.id]));
    const byId = new Map((await this.tx.pointsByIds(orgId, ids)).map((r) => [r.id, r]));
    const normalized: Normalized[] = [];
    for (const input of inputs) {
      const n = normalize(input, this.metrics.get(input.metricId), byId, this.report);
      if (n) normalized.push(n);
    }
    if (this.holding && !lookUp) return undefined;

    const metricIds = [...new Set(normalized.map((n) => n.metricId))];
    const toLock = metricIds.filter((id) => !this.locked.has(id));
    await this.tx.lockKeys(toLock);
    for (const id of toLock) this.locked.add(id);

    // Every stored record is read again now that the lock is held, those named by id too:
    // the ones read by id above may predate a concurrent write that committed before we got
    // the lock (comparing with them would lose that write, or skip ours as "unchanged").
    const current = new Map<string, PointRecord>();
    const keysOf = new Map<string, IdentityKey[]>(metricIds.map((id) => [id, []]));
    for (const n of normalized)
      keysOf.get(n.metricId)?.push({ period_start: n.start, period_end: n.end, coord_key: n.coordKey });
    for (const [metricId, keys] of keysOf) {
      for (const r of await this.tx.pointsByIdentity(orgId, metricId, keys)) {
        current.set(identity(r.metric_id, r.period_start, r.period_end, r.coord_key), r);
      }
    }
    for (const n of normalized) {
      if (n.byId && current.get(n.key)?.deleted_at !== null) {
        reportMissingId(n.input, this.report); // deleted by another writer between our read and the lock
      }
    }
    if (this.holding && !lookUp) return undefined;
    return { normalized, current };
  }

  async add(inputs: PointInput[]): Promise<WriteResult> {
    const result: WriteResult = { rows: [], inserted: 0, updated: 0, unchanged: 0 };
    if (inputs.length === 0) return result;
    const resolved = await this.resolve(inputs);
    if (!resolved) return result;
    const { normalized, current } = resolved;
    const at = now();
    const out = result.rows;
    const revisions: RevisionRecord[] = [];
    const changed = new Map<string, PointRecord>();
    for (const n of normalized) {
      const key = n.key;
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
    await this.tx.savePoints([...changed.values()], revisions);
    notePointWrite();
    this.applied += normalized.length;
    return result;
  }

  /** Marks the named points deleted (their records stay, for ids and history). Each must exist. */
  async remove(inputs: PointInput[]): Promise<number> {
    if (inputs.length === 0) return 0;
    const resolved = await this.resolve(inputs, true);
    if (!resolved) return 0;
    const at = now();
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

/**
 * Runs `fn` with a writer over `tx` (a write transaction's Storage); any problem the writer
 * found fails the whole write with Invalid listing them, so the transaction rolls back.
 */
export async function runWriter<T>(
  tx: Storage,
  actor: Actor,
  known: Metric[],
  fn: (w: PointWriter) => Promise<T>,
  validateOnly = false,
): Promise<T> {
  const writer = new Writer(tx, actor, known, validateOnly);
  const out = await fn(writer);
  if (writer.issues.length) throw new Invalid(writer.issues);
  return out;
}
