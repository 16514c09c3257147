import type { Readable } from 'node:stream';
import type { Store } from '../../store/database.ts';
import type { Actor } from '../context.ts';
import type { FieldIssue } from '../errors.ts';
import type { PointInput } from '../points/point-input.ts';
import {
  type AchieveItFile,
  type AchieveItRow,
  achieveItRowReader,
  COLUMNS,
  isAchieveItHeader,
} from './achieveit-rows.ts';
import { linePath, rowIssue } from './csv-rows.ts';
import { emptyFile } from './empty-file.ts';
import { MetricResolver } from './metric-resolver.ts';
import { csvBatches } from './parse-stream.ts';
import { type ImportOptions, type ImportResult, type RowChunk, runImport } from './run-import.ts';

// An AchieveIt CSV file (metric updates or progress updates) applied as one unit: rows are
// checked as they stream in, their External IDs resolved a chunk at a time, and the good
// ones handed to the write path. The As Of Date is a one-day period.

/** The write path's issue fields, named by the file's columns. */
export const ACHIEVEIT_ISSUE_COLUMNS: Record<string, string> = {
  metric_id: COLUMNS.externalId.name,
  value: COLUMNS.value.name,
  period_start: COLUMNS.date.name,
  period_end: COLUMNS.date.name,
  notes: COLUMNS.comment.name,
  status: COLUMNS.status.name,
};

function toInput(row: AchieveItRow, metricId: string): PointInput {
  return {
    metricId,
    periodStart: row.date,
    periodEnd: row.date,
    value: row.value,
    // No comment keeps the point's notes; metric updates leave its status as it is.
    ...(row.comment === null ? {} : { notes: row.comment }),
    ...(row.status === null ? {} : { status: row.status }),
    path: linePath(row.line),
    line: row.line,
  };
}

/** The file's rows as chunks for runImport. */
export async function* achieveItChunks(
  store: Store,
  orgId: string,
  file: AchieveItFile,
  source: Readable,
  maxFieldBytes?: number,
): AsyncGenerator<RowChunk> {
  const resolver = new MetricResolver(store, orgId);
  const readRow = achieveItRowReader(file);
  let first = true;
  let rowsRead = 0;
  for await (const batch of csvBatches(source, undefined, maxFieldBytes)) {
    const issues: FieldIssue[] = [];
    const rows: AchieveItRow[] = [];
    const before = rowsRead;
    for (let i = 0; i < batch.records.length; i++) {
      const record = batch.records[i];
      if (first) {
        first = false;
        if (isAchieveItHeader(record)) continue;
      }
      rowsRead++;
      const row = readRow(record, batch.lines[i], issues);
      if (row) rows.push(row);
    }
    await resolver.load(rows.map((r) => r.externalId));
    const inputs: PointInput[] = [];
    for (const row of rows) {
      const metricId = resolver.get(row.externalId);
      if (metricId) inputs.push(toInput(row, metricId));
      else {
        issues.push(
          rowIssue(
            row.line,
            COLUMNS.externalId,
            `no metric has External ID "${row.externalId}"`,
            'unknown_external_id',
          ),
        );
      }
    }
    yield { inputs, issues, rowsRead: rowsRead - before };
  }
  // The upload route refuses such a file up front (empty-file.ts); a job made otherwise
  // follows the same rule.
  if (rowsRead === 0) yield { inputs: [], issues: emptyFile().issues, rowsRead: 0 };
}

/** Applies an AchieveIt file all or nothing; throws Invalid listing its bad rows. */
export function importAchieveItFile(
  store: Store,
  actor: Actor,
  file: AchieveItFile,
  source: Readable,
  opts: ImportOptions & { maxFieldBytes?: number } = {},
): Promise<ImportResult> {
  return runImport(store, actor, achieveItChunks(store, actor.orgId, file, source, opts.maxFieldBytes), {
    columns: ACHIEVEIT_ISSUE_COLUMNS,
    ...opts,
  });
}
