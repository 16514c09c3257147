import type { Readable } from 'node:stream';
import type { FieldIssue } from '../../core/errors.ts';
import type { BatchChunk, WriteSession } from '../../core/imports/batch-runner.ts';
import { linePath, rowIssue } from '../../core/imports/csv-rows.ts';
import { emptyFile, refuseEmpty } from '../../core/imports/empty-file.ts';
import { MetricResolver } from '../../core/imports/metric-resolver.ts';
import { csvBatches } from '../../core/imports/parse-stream.ts';
import { type ImportOptions, type ImportResult, runImport } from '../../core/imports/run-import.ts';
import type { PointInput } from '../../core/points/point-input.ts';
import type { ImportPorts } from '../../core/ports/imports.ts';
import {
  type AchieveItFile,
  type AchieveItRow,
  achieveItRowReader,
  COLUMNS,
  isAchieveItHeader,
} from './csv-rows.ts';

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
  ports: ImportPorts,
  orgId: string,
  file: AchieveItFile,
  source: Readable,
  maxFieldBytes?: number,
): AsyncGenerator<BatchChunk> {
  const resolver = new MetricResolver(ports, orgId);
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
    yield { inputs, issues, read: rowsRead - before };
  }
  // The upload route refuses such a file up front (empty-file.ts); a job made otherwise
  // follows the same rule.
  if (rowsRead === 0) yield { inputs: [], issues: emptyFile().issues, read: 0 };
}

/** Applies an AchieveIt file all or nothing; throws Invalid listing its bad rows. */
export function importAchieveItFile(
  ports: ImportPorts,
  session: WriteSession,
  orgId: string,
  file: AchieveItFile,
  source: Readable,
  opts: ImportOptions & { maxFieldBytes?: number } = {},
): Promise<ImportResult> {
  return runImport(session, achieveItChunks(ports, orgId, file, source, opts.maxFieldBytes), {
    columns: ACHIEVEIT_ISSUE_COLUMNS,
    ...opts,
  });
}

/** AchieveIt: any record after the optional header row is a row (a blank one is reported by its job). */
export async function refuseEmptyAchieveIt(source: Readable, maxFieldBytes?: number): Promise<void> {
  async function* rows() {
    let first = true;
    for await (const batch of csvBatches(source, undefined, maxFieldBytes)) {
      let n = batch.records.length;
      if (first && n > 0) {
        first = false;
        if (isAchieveItHeader(batch.records[0])) n--;
      }
      yield n;
    }
  }
  await refuseEmpty(rows(), source);
}
