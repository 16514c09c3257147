import type { Kysely } from 'kysely';
import type { Store } from '../../store/database.ts';
import { groupCommitted } from '../../store/group-commit.ts';
import {
  findByIdentity,
  findPointsByIds,
  type IdentityKey,
  type PointRow,
  type RevisionRow,
  upsertPointsWithRevisions,
} from '../../store/points.ts';
import type { DB } from '../../store/schema.ts';
import { lockKeys, writeTransaction } from '../../store/transactions.ts';
import { now } from '../clock.ts';
import type { Actor } from '../context.ts';
import { type FieldIssue, Invalid, NotFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Metric } from '../metrics.ts';
import { isIsoDate } from '../periods.ts';
import { checkValue, TEXT_MAX } from '../values.ts';
import { resolveCoordinates } from './coordinates.ts';
import { MetricCache } from './metric-cache.ts';

export type { StoredPoint } from './stored-point.ts';

// The one write path. Every way a value arrives (Visible PUT, native PUT, Workiva batches,
// CSV files) ends in PointWriter.add: validate against the metric, resolve identities,
// upsert in batches inside one transaction, and append a revision for every change.

export type ClearableField = 'value' | 'notes' | 'status' | 'dataSource' | 'task';

export interface PointInput {
  metricId: string;
  /** An existing point's id: wins over period + coordinates. */
  id?: string;
  periodStart?: string;
  periodEnd?: string;
  coordinates?: Record<string, unknown> | null;
  /** undefined keeps the stored value (on update); null clears it. */
  value?: unknown;
  notes?: string | null;
  status?: string | null;
  dataSource?: unknown;
  task?: string | null;
  clear?: ClearableField[];
  /** How errors name this input, e.g. `data_points[3]`. */
  path: string;
  /** For files: the 1-based line, copied into the issues. */
  line?: number;
}

/**
 * What a write did: the points as they now stand (rows, in input order; converted to the
 * API's shape only by the callers that answer with them, since files and batches do not)
 * and how many inputs inserted, changed or left a point as it was.
 */
export interface WriteResult {
  rows: PointRow[];
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface PointWriter {
  /** Validates a chunk and, while no issue has been found, writes it. Returns what it did. */
  add(inputs: PointInput[]): Promise<WriteResult>;
  /** Deletes the named points (each must exist), the same way: writes while no issue was found. */
  remove(inputs: PointInput[]): Promise<number>;
  readonly issues: FieldIssue[];
  readonly applied: number;
}

/** Most issues one write reports: enough to fix a file, bounded for a bad 1M-row one. */
export const MAX_ISSUES = 1000;
const SHORT_TEXT_MAX = 255;
const NO_COORDINATES = { coordinates: null, key: '' } as const;

interface Normalized {
  input: PointInput;
  /** identity(metricId, start, end, coordKey), computed once. */
  key: string;
  metricId: string;
  start: string;
  end: string;
  coordKey: string;
  coordinates: string | null;
  /** The row the input names by id, when it does. */
  byId?: PointRow;
  value: string | null | undefined;
}

const identity = (metricId: string, start: string, end: string, coordKey: string) =>
  `${metricId}\u0000${start}\u0000${end}\u0000${coordKey}`;

// Field names are built only when there is a problem to name: building them for every
// point of a million-row file cost more than checking the point.
function textField(
  v: string | null | undefined,
  path: string,
  name: string,
  max: number,
  issues: FieldIssue[],
  line?: number,
): void {
  if (v == null) return;
  if (typeof v !== 'string' || v.length > max)
    issues.push({ field: `${path}.${name}`, message: `must be a string of at most ${max} characters`, line });
}

class Writer implements PointWriter {
  readonly issues: FieldIssue[] = [];
  applied = 0;
  private readonly metrics: MetricCache;
  private readonly locked = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly trx: Kysely<DB>,
    private readonly actor: Actor,
    known: Metric[] = [],
  ) {
    this.metrics = new MetricCache(trx, actor.orgId);
    this.metrics.seed(known);
  }

  private issue(i: FieldIssue) {
    if (this.issues.length < MAX_ISSUES) this.issues.push(i);
  }

  private missingId({ path, line }: PointInput) {
    this.issue({ field: `${path}.id`, message: 'no data point has this id', line, code: 'not_found' });
  }

  /** Checks one input and works out its identity; undefined when it has issues. */
  private normalize(input: PointInput, byId: Map<string, PointRow>): Normalized | undefined {
    const { path, line } = input;
    const metric = this.metrics.get(input.metricId);
    if (!metric) {
      this.issue({ field: `${path}.metric_id`, message: 'unknown metric', line });
      return undefined;
    }
    const issues: FieldIssue[] = [];
    let start: string;
    let end: string;
    let coordKey: string;
    let coordinates: string | null;
    const row = input.id !== undefined ? byId.get(input.id) : undefined;
    if (input.id !== undefined) {
      // A deleted point keeps its row, but its id no longer names a point (as for deletes).
      if (!row || row.deleted_at !== null) {
        this.missingId(input);
        return undefined;
      }
      if (row.metric_id !== metric.id) {
        this.issue({
          field: `${path}.id`,
          message: 'this data point belongs to another metric',
          line,
          code: 'conflict',
        });
        return undefined;
      }
      ({ period_start: start, period_end: end, coord_key: coordKey, coordinates } = row);
    } else {
      start = input.periodStart ?? '';
      end = input.periodEnd ?? start;
      if (!isIsoDate(start))
        issues.push({ field: `${path}.period_start`, message: 'must be a date as YYYY-MM-DD', line });
      else if (!isIsoDate(end))
        issues.push({ field: `${path}.period_end`, message: 'must be a date as YYYY-MM-DD', line });
      else if (end < start)
        issues.push({ field: `${path}.period_end`, message: 'must not be before period_start', line });
      const resolved =
        metric.dimensions.length === 0 && input.coordinates == null
          ? NO_COORDINATES
          : resolveCoordinates(metric, input.coordinates, `${path}.coordinates`, issues);
      coordKey = resolved?.key ?? '';
      coordinates = resolved?.coordinates ? JSON.stringify(resolved.coordinates) : null;
    }
    let value: string | null | undefined;
    if (input.value !== undefined) {
      const checked = checkValue(metric.value_type, input.value);
      if (checked.ok) value = checked.value;
      else issues.push({ field: `${path}.value`, message: checked.message, line });
    }
    textField(input.notes, path, 'notes', TEXT_MAX, issues, line);
    textField(input.status, path, 'status', SHORT_TEXT_MAX, issues, line);
    textField(input.task, path, 'task', SHORT_TEXT_MAX, issues, line);
    for (const i of issues) this.issue({ ...i, line });
    if (issues.length) return undefined;
    return {
      input,
      key: identity(metric.id, start, end, coordKey),
      metricId: metric.id,
      start,
      end,
      coordKey,
      coordinates,
      byId: row,
      value,
    };
  }

  /**
   * Validates inputs and loads the stored rows they name (by id or identity), under the
   * metrics' write locks. Undefined once any problem was found: after the first problem
   * we only validate, to report every problem of the request. `lookUp` still loads the rows
   * of valid inputs then, for deletes, whose "not there" is a problem of its own to report.
   */
  private async resolve(
    inputs: PointInput[],
    lookUp = false,
  ): Promise<{ normalized: Normalized[]; current: Map<string, PointRow> } | undefined> {
    await this.metrics.load(inputs.map((i) => i.metricId));
    const ids = inputs.flatMap((i) => (i.id === undefined ? [] : [i.id]));
    const byId = new Map((await findPointsByIds(this.trx, this.actor.orgId, ids)).map((r) => [r.id, r]));
    const normalized: Normalized[] = [];
    for (const input of inputs) {
      const n = this.normalize(input, byId);
      if (n) normalized.push(n);
    }
    if (this.issues.length && !lookUp) return undefined;

    const metricIds = [...new Set(normalized.map((n) => n.metricId))];
    const toLock = metricIds.filter((id) => !this.locked.has(id));
    await lockKeys(this.store, this.trx, toLock);
    for (const id of toLock) this.locked.add(id);

    // Every stored row is read again now that the lock is held, those named by id too: the
    // rows read by id above may predate a concurrent write that committed before we got the
    // lock (comparing with them would lose that write, or skip ours as "unchanged").
    const current = new Map<string, PointRow>();
    const keysOf = new Map<string, IdentityKey[]>(metricIds.map((id) => [id, []]));
    for (const n of normalized)
      keysOf.get(n.metricId)?.push({ period_start: n.start, period_end: n.end, coord_key: n.coordKey });
    for (const [metricId, keys] of keysOf) {
      for (const r of await findByIdentity(this.store, this.trx, this.actor.orgId, metricId, keys)) {
        current.set(identity(r.metric_id, r.period_start, r.period_end, r.coord_key), r);
      }
    }
    for (const n of normalized) {
      if (n.byId && current.get(n.key)?.deleted_at !== null) {
        this.missingId(n.input); // deleted by another writer between our read and the lock
      }
    }
    if (this.issues.length && !lookUp) return undefined;
    return { normalized, current };
  }

  private revision(
    row: PointRow,
    op: 'insert' | 'update' | 'delete',
    oldValue: string | null,
    at: string,
  ): RevisionRow {
    return {
      org_id: this.actor.orgId,
      point_id: row.id,
      metric_id: row.metric_id,
      op,
      old_value: oldValue,
      new_value: op === 'delete' ? null : row.value,
      actor: this.actor.actor,
      request_id: this.actor.requestId ?? null,
      job_id: this.actor.jobId ?? null,
      changed_at: at,
    };
  }

  async add(inputs: PointInput[]): Promise<WriteResult> {
    const result: WriteResult = { rows: [], inserted: 0, updated: 0, unchanged: 0 };
    if (inputs.length === 0) return result;
    const resolved = await this.resolve(inputs);
    if (!resolved) return result;
    const { normalized, current } = resolved;
    const at = now();
    const out = result.rows;
    const revisions: RevisionRow[] = [];
    const changed = new Map<string, PointRow>();
    for (const n of normalized) {
      const key = n.key;
      const prev = current.get(key);
      const live = prev && prev.deleted_at === null ? prev : undefined;
      const next = this.apply(n, live, prev, at);
      const before = live ? live.value : null;
      if (!live || !samePoint(live, next)) {
        changed.set(key, next);
        current.set(key, next);
        revisions.push(this.revision(next, live ? 'update' : 'insert', before, at));
        if (live) result.updated++;
        else result.inserted++;
        out.push(next);
      } else {
        // Unchanged: nothing is written, so the answer is the point as stored.
        result.unchanged++;
        out.push(live);
      }
    }
    await upsertPointsWithRevisions(this.store, this.trx, [...changed.values()], revisions);
    this.applied += normalized.length;
    return result;
  }

  /** Marks the named points deleted (their rows stay, for ids and history). Each must exist. */
  async remove(inputs: PointInput[]): Promise<number> {
    if (inputs.length === 0) return 0;
    const resolved = await this.resolve(inputs, true);
    if (!resolved) return 0;
    const at = now();
    const changed = new Map<string, PointRow>();
    const revisions: RevisionRow[] = [];
    for (const n of resolved.normalized) {
      const key = n.key;
      const live = resolved.current.get(key);
      if (!live || live.deleted_at !== null) {
        if (n.byId) continue; // a missing id was reported by resolve
        this.issue({
          field: n.input.path,
          message: 'no data point at this period and coordinates',
          line: n.input.line,
          code: 'not_found',
        });
        continue;
      }
      const gone = { ...live, value: null, deleted_at: at, updated_at: at, updated_by: this.actor.actor };
      resolved.current.set(key, gone);
      changed.set(key, gone);
      revisions.push(this.revision(gone, 'delete', live.value, at));
    }
    if (this.issues.length) return 0;
    await upsertPointsWithRevisions(this.store, this.trx, [...changed.values()], revisions);
    this.applied += changed.size;
    return changed.size;
  }

  /** The row after this input: `live` is the current point, `prev` its row even when deleted. */
  private apply(n: Normalized, live: PointRow | undefined, prev: PointRow | undefined, at: string): PointRow {
    const { input } = n;
    const clear = input.clear;
    // null is no data source (stored as SQL null, not the JSON text 'null').
    const dataSource =
      input.dataSource === undefined
        ? undefined
        : input.dataSource === null
          ? null
          : JSON.stringify(input.dataSource);
    return {
      id: prev?.id ?? newId(),
      org_id: this.actor.orgId,
      metric_id: n.metricId,
      period_start: n.start,
      period_end: n.end,
      coord_key: n.coordKey,
      coordinates: n.coordinates,
      value: pick(clear, 'value', n.value, live?.value),
      notes: pick(clear, 'notes', input.notes, live?.notes),
      status: pick(clear, 'status', input.status, live?.status),
      data_source: pick(clear, 'dataSource', dataSource, live?.data_source),
      task: pick(clear, 'task', input.task, live?.task),
      // An upsert keeps a row's created_* (a deleted point written again too): answer with those.
      created_at: prev ? prev.created_at : at,
      updated_at: at,
      created_by: prev ? prev.created_by : this.actor.actor,
      updated_by: this.actor.actor,
      deleted_at: null,
    };
  }
}

/** A field's new value: cleared, given, or else the stored one (null when there is none). */
function pick<T>(
  clear: ClearableField[] | undefined,
  field: ClearableField,
  given: T | undefined,
  old: T | null | undefined,
): T | null {
  if (clear?.includes(field)) return null;
  return given !== undefined ? given : (old ?? null);
}

function samePoint(a: PointRow, b: PointRow): boolean {
  return (
    a.value === b.value &&
    a.notes === b.notes &&
    a.status === b.status &&
    a.data_source === b.data_source &&
    a.task === b.task
  );
}

/**
 * One transaction around `fn`. add() writes while the data is good and only validates
 * once a problem is found; if any was, the whole transaction rolls back and Invalid lists
 * every problem. So a file is applied completely or not at all.
 */
export async function withPointWriter<T>(
  store: Store,
  actor: Actor,
  fn: (w: PointWriter) => Promise<T>,
  known: Metric[] = [],
): Promise<T> {
  return writeTransaction(store, (trx) => runWriter(store, trx, actor, known, fn));
}

/** A writer over `trx` for `fn`; any problem it found fails the whole write. */
async function runWriter<T>(
  store: Store,
  trx: Kysely<DB>,
  actor: Actor,
  known: Metric[],
  fn: (w: Writer) => Promise<T>,
): Promise<T> {
  const writer = new Writer(store, trx, actor, known);
  const out = await fn(writer);
  if (writer.issues.length) throw new Invalid(writer.issues);
  return out;
}

/** Deletes by id or by period + coordinates, all or nothing; throws Invalid naming what is missing. */
export function deletePoints(store: Store, actor: Actor, inputs: PointInput[]): Promise<number> {
  return writeTransaction(store, (trx) =>
    runWriter(store, trx, actor, [], async (writer) => {
      const n = await writer.remove(inputs);
      // Deleting one point that is not there (or is another metric's) is a plain 404.
      if (inputs.length === 1 && writer.issues.some((i) => i.code === 'not_found' || i.code === 'conflict')) {
        throw new NotFound('data point');
      }
      return n;
    }),
  );
}

interface PendingWrite {
  actor: Actor;
  inputs: PointInput[];
  known: Metric[];
}

function applyWrite(store: Store, trx: Kysely<DB>, item: PendingWrite): Promise<WriteResult> {
  return runWriter(store, trx, item.actor, item.known, (w) => w.add(item.inputs));
}

// On a single-writer engine, requests that arrive while a write transaction runs are
// applied together in the next one (one commit for many small Visible PUTs). A request
// with a problem fails its group, which is then retried one request at a time, so each
// request stays all or nothing on its own.
const write = groupCommitted(applyWrite, 16);

/** All or nothing; throws Invalid listing every problem. */
export function writePoints(
  store: Store,
  actor: Actor,
  inputs: PointInput[],
  known: Metric[] = [],
): Promise<WriteResult> {
  return write(store, { actor, inputs, known });
}
