import type { FieldIssue } from '../errors.ts';
import type { PointRecord } from './point-record.ts';

// What the write path takes and answers. Every way a value arrives (Visible PUT, native
// PUT, Workiva batches, CSV files) ends in PointWriter.add or .remove.

export type ClearableField = 'value' | 'notes' | 'status' | 'dataSource' | 'task';

export interface PointInput {
  metricId: string;
  /**
   * An existing point's id: when a point has it (deleted or not), it wins over period +
   * coordinates. When none has it, period + coordinates name the point if they are given
   * (Workiva's rule: an example id falls back to the reportingPeriod); else the id is
   * reported as naming no point.
   */
  id?: string;
  periodStart?: string;
  periodEnd?: string;
  /**
   * Why the period as the caller received it is no period (e.g. a Workiva reportingPeriod
   * with month 13), in the caller's own terms. Reported, and the input left out, only when
   * the period is needed: when no point has `id`.
   */
  periodIssues?: FieldIssue[];
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
 * What a write did: the points as they now stand (records, in input order; converted to the
 * API's shape only by the callers that answer with them, since files and batches do not)
 * and how many inputs inserted, changed or left a point as it was.
 */
export interface WriteResult {
  rows: PointRecord[];
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface PointWriter {
  /**
   * Validates a chunk and, while no issue has been found, writes it. Returns what it did.
   * `checked`: these inputs as checkInputs (writer.ts) checked them ahead; used when staging
   * and every metric they were checked against is still as it was, else they are checked again.
   */
  add(inputs: PointInput[], checked?: CheckedInputs): Promise<WriteResult>;
  /** Deletes the named points (each must exist), the same way: writes while no issue was found. */
  remove(inputs: PointInput[], checked?: CheckedInputs): Promise<number>;
  /**
   * For a batch written chunk by chunk: from now on add() (or remove()) validates its inputs
   * and keeps them where the storage stages (PointPorts.pointStaging), and flush() writes them
   * all in identity order. Where it does not stage, they go on writing as they come. Up to
   * `inMemory` inputs (default none) are kept in memory, for batches known to be small.
   */
  stageWrites(inMemory?: number): void;
  /** Writes what add() kept, in identity order, `size` inputs at a time; `progress` after each piece. */
  flush(size: number, progress?: () => void | Promise<void>): Promise<void>;
  readonly issues: FieldIssue[];
  readonly applied: number;
}

/**
 * Inputs checked ahead of their write, outside its transaction (a Workiva job checks the
 * metric's next batch while its own is written: issue 14). What the checks found, and the
 * definitions they were made against: a writer uses them only if its own are the same.
 */
export interface CheckedInputs {
  /** Each metric checked against, as JSON, by id (null: no such metric). */
  readonly metrics: ReadonlyMap<string, string>;
  readonly normalized: Normalized[];
  /** The problems found, in input order (at most MAX_ISSUES). */
  readonly issues: FieldIssue[];
}

/** Most issues one write reports: enough to fix a file, bounded for a bad 1M-row one. */
export const MAX_ISSUES = 1000;

/** An input that passed its checks, with the point it names. */
export interface Normalized {
  input: PointInput;
  /** identity(metricId, start, end, coordKey), computed once. */
  key: string;
  metricId: string;
  start: string;
  end: string;
  coordKey: string;
  coordinates: string | null;
  /** The record the input names by id, when it does. */
  byId?: PointRecord;
  value: string | null | undefined;
}
