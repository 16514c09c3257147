import type { Readable } from 'node:stream';
import { type FieldIssue, Invalid } from '../errors.ts';
import type { PointInput } from '../points/point-input.ts';
import type { ImportPorts } from '../ports/imports.ts';
import type { BatchChunk, WriteSession } from './batch-runner.ts';
import {
  type ColumnMapping,
  type CompiledMapping,
  checkMapping,
  compileMapping,
  defaultMapping,
  type ImportFormat,
  type MappedRow,
} from './column-mapping.ts';
import { isEmptyRow, linePath } from './csv-rows.ts';
import { emptyFile, refuseEmpty } from './empty-file.ts';
import { type ItemBatch, jsonArrayBatches, ndjsonBatches } from './json-stream.ts';
import { MetricResolver } from './metric-resolver.ts';
import { csvBatches } from './parse-stream.ts';
import { type ImportOptions, type ImportResult, runImport } from './run-import.ts';

// A native import: a CSV, NDJSON or JSON file of data points, read through a column
// mapping (given, or taken from the file's own column names) and applied all or nothing.

export interface NativeImportSpec {
  format: ImportFormat;
  /** Omitted: every field is read from the column (or key) of its own name. */
  mapping?: ColumnMapping;
  /** CSV: the first row names the columns (default true). */
  header?: boolean;
  /** The largest cell, row or JSON line read (KPIHUB_IMPORT_MAX_FIELD_BYTES); beyond it the file is refused. */
  maxFieldBytes?: number;
}

/** The file's rows in batches, whatever its format: CSV records (arrays) or JSON values. */
async function* rowBatches(spec: NativeImportSpec, source: Readable): AsyncGenerator<ItemBatch> {
  const max = spec.maxFieldBytes;
  if (spec.format === 'ndjson') return yield* ndjsonBatches(source, undefined, max);
  if (spec.format === 'json') return yield* jsonArrayBatches(source, undefined, max);
  for await (const batch of csvBatches(source, undefined, max)) {
    const out: ItemBatch = { items: [], lines: [], paths: [], issues: [] };
    batch.records.forEach((record, i) => {
      // Blank rows carry nothing to import; the native API steps over them.
      if (isEmptyRow(record)) return;
      out.items.push(record);
      out.lines.push(batch.lines[i]);
      out.paths.push(linePath(batch.lines[i]));
    });
    yield out;
  }
}

/** Data rows in each batch: blank rows and the CSV header row are not ones. */
async function* dataRowCounts(spec: NativeImportSpec, source: Readable): AsyncGenerator<number> {
  let header = spec.format === 'csv' && spec.header !== false;
  for await (const batch of rowBatches(spec, source)) {
    let n = batch.items.length + batch.issues.length;
    if (header && batch.items.length) {
      header = false;
      n--;
    }
    yield n;
  }
}

/** Throws the empty-file refusal (400, line 1) when the file has no data row. */
export const refuseEmptyNative = (spec: NativeImportSpec, source: Readable): Promise<void> =>
  refuseEmpty(dataRowCounts(spec, source), source);

function mappingFor(spec: NativeImportSpec, first: unknown, header: string[] | null): CompiledMapping {
  const names =
    header ?? (first && typeof first === 'object' && !Array.isArray(first) ? Object.keys(first) : []);
  const mapping = spec.mapping ?? defaultMapping(names);
  if (!spec.mapping) {
    try {
      checkMapping(mapping, spec.format, spec.header !== false);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      // No mapping was sent: the file's first row decides, so the problem is on line 1.
      throw new Invalid(
        e.issues.map((i) => ({
          ...i,
          line: 1,
          message: `no mapping was given and the file's columns do not say: ${i.message}`,
        })),
      );
    }
  }
  return compileMapping(mapping, spec.format, header);
}

/** The file's rows as chunks for runImport; `columns` is filled once the mapping is known. */
export async function* nativeChunks(
  ports: ImportPorts,
  orgId: string,
  spec: NativeImportSpec,
  source: Readable,
  columns: Record<string, string> = {},
): AsyncGenerator<BatchChunk> {
  const resolver = new MetricResolver(ports, orgId);
  const csvHeader = spec.format === 'csv' && spec.header !== false;
  let compiled: CompiledMapping | undefined;
  let dataRows = 0;
  for await (const batch of rowBatches(spec, source)) {
    const issues: FieldIssue[] = [...batch.issues];
    const rows: MappedRow[] = [];
    let start = 0;
    if (!compiled && batch.items.length) {
      const header = csvHeader ? (batch.items[0] as string[]).map((c) => c.trim()) : null;
      if (csvHeader) start = 1;
      compiled = mappingFor(spec, batch.items[0], header);
      Object.assign(columns, compiled.columns);
    }
    for (let i = start; i < batch.items.length; i++) {
      const row = compiled!.read(batch.items[i], batch.lines[i], batch.paths[i], issues);
      if (row) rows.push(row);
    }
    const read = batch.items.length - start + batch.issues.length;
    dataRows += read;
    if (!compiled) {
      yield { inputs: [], issues, read };
      continue;
    }
    if (compiled.byExternalId) await resolver.load(rows.map((r) => r.metricRef));
    const inputs: PointInput[] = [];
    for (const row of rows) {
      const metricId = compiled.byExternalId ? resolver.get(row.metricRef) : row.metricRef;
      if (metricId === null) {
        issues.push({
          field: `${row.input.path}.metric_id`,
          line: row.input.line,
          column: compiled.columns.metric_id,
          message: `no metric has external_id "${row.metricRef}"`,
          code: 'unknown_external_id',
        });
        continue;
      }
      row.input.metricId = metricId;
      inputs.push(row.input);
    }
    yield { inputs, issues, read };
  }
  // The upload routes refuse such a file up front; a job made otherwise follows the same rule.
  if (dataRows === 0) yield { inputs: [], issues: emptyFile().issues, read: 0 };
}

/** Applies (or with dryRun, only checks) a native import file; throws Invalid listing its bad rows. */
export async function importNativeFile(
  ports: ImportPorts,
  session: WriteSession,
  orgId: string,
  spec: NativeImportSpec,
  source: Readable,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  // The write path's issues name columns as the mapping does; known once the file is read.
  const columns: Record<string, string> = {};
  return runImport(session, nativeChunks(ports, orgId, spec, source, columns), {
    columns,
    ...opts,
  });
}
