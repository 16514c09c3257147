import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ImportView } from '../core/import-view.ts';
import {
  type ColumnMapping,
  type ColumnRef,
  IMPORT_FORMATS,
  type ImportFormat,
} from '../core/imports/column-mapping.ts';
import { ApiError, type Connection } from './api-client.ts';
import { getImport, uploadImport } from './import-client.ts';
import {
  barProgress,
  describeJob,
  isFinished,
  lineProgress,
  type Progress,
  RowEstimate,
} from './import-report.ts';

// `kpihub import <file>`: uploads a file of data points to a running KPI Hub (POST
// /v1/imports), follows the job (GET /v1/imports/{id}) and reports how it ended. It is a
// client of the HTTP API, not of the database: it works against any server it can reach.

const POLL_MS = 250;

/** The mapping fields as options: `--metric-external-id KPI` is `{"metric_external_id":"KPI"}`. */
const MAPPING_OPTIONS = {
  metricId: 'metric_id',
  metricExternalId: 'metric_external_id',
  date: 'date',
  periodStart: 'period_start',
  periodEnd: 'period_end',
  value: 'value',
  notes: 'notes',
  status: 'status',
} as const;

type MappingOptions = { [K in keyof typeof MAPPING_OPTIONS]?: string };

interface ImportOptions extends MappingOptions {
  url: string;
  key?: string;
  format?: ImportFormat;
  mapping?: string;
  coordinate?: string[];
  header: boolean;
  dryRun?: boolean;
  progress: boolean;
  maxErrors: number;
}

const EXTENSIONS: Record<string, ImportFormat> = {
  csv: 'csv',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  json: 'json',
};

const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function count(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number');
  return n;
}

/** A CSV column given as digits is a 0-based index; anything else names a column or key. */
const columnRef = (text: string, format: ImportFormat | undefined): ColumnRef =>
  format === 'csv' && /^\d+$/.test(text) ? Number(text) : text;

/** The mapping the options describe (--mapping as the base, the field options over it). */
function mappingOf(opts: ImportOptions, format: ImportFormat | undefined): ColumnMapping | undefined {
  let mapping: ColumnMapping = {};
  if (opts.mapping !== undefined) {
    try {
      mapping = JSON.parse(opts.mapping);
    } catch {
      throw new InvalidArgumentError('--mapping must be a JSON object');
    }
  }
  for (const [option, field] of Object.entries(MAPPING_OPTIONS)) {
    const text = opts[option as keyof MappingOptions];
    if (text !== undefined) mapping[field] = columnRef(text, format);
  }
  for (const pair of opts.coordinate ?? []) {
    const at = pair.indexOf('=');
    if (at < 1 || at === pair.length - 1)
      throw new InvalidArgumentError('--coordinate takes dimension=column');
    mapping.coordinates = {
      ...mapping.coordinates,
      [pair.slice(0, at)]: columnRef(pair.slice(at + 1), format),
    };
  }
  // No mapping at all: the server reads each field from the column of its own name.
  return Object.keys(mapping).length ? mapping : undefined;
}

function connection(opts: { url: string; key?: string }): Connection {
  if (!opts.key) throw new InvalidArgumentError('an API key is needed: --key or KPIHUB_API_KEY');
  return { url: opts.url, key: opts.key };
}

/** Polls the job until it ends. Ctrl-C stops the watching, not the import: it says how to look again. */
async function follow(conn: Connection, first: ImportView, progress: Progress): Promise<ImportView> {
  const interrupted = () => {
    progress.stop();
    complain(`\nstopped watching; the import goes on: kpihub import status ${first.id}`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    let view = first;
    progress.job(view);
    while (!isFinished(view)) {
      await sleep(POLL_MS);
      view = await getImport(conn, view.id);
      progress.job(view);
    }
    return view;
  } finally {
    process.removeListener('SIGINT', interrupted);
  }
}

function report(view: ImportView, maxErrors: number): number {
  for (const line of describeJob(view, maxErrors)) say(line);
  return view.status === 'failed' ? 1 : 0;
}

async function importFile(file: string, opts: ImportOptions): Promise<number> {
  const conn = connection(opts);
  const format = opts.format ?? EXTENSIONS[/\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase() ?? ''];
  const mapping = mappingOf(opts, format);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const estimate = new RowEstimate(format, opts.header);
  const progress =
    opts.progress && process.stdout.isTTY
      ? barProgress(process.stdout, size, estimate)
      : lineProgress(say, { file: basename(file), size });
  let sent = 0;
  let view: ImportView;
  try {
    view = await uploadImport(
      conn,
      file,
      { format, header: opts.header, dryRun: opts.dryRun, mapping },
      (chunk) => {
        sent += chunk.length;
        estimate.see(chunk);
        progress.uploading(sent);
      },
    );
    view = await follow(conn, view, progress);
  } finally {
    progress.stop();
  }
  return report(view, opts.maxErrors);
}

/** Runs an action; its number is the exit code. A refused request prints the server's reasons. */
function exitWith(run: () => Promise<number>, cmd: Command): Promise<void> {
  return run().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      if (e instanceof InvalidArgumentError) cmd.error(`error: ${e.message}`, { exitCode: 2 });
      if (!(e instanceof ApiError)) throw e;
      complain(`kpihub: the server refused the import: ${e.message}`);
      for (const issue of e.errors) complain(`  ${issue.field}: ${issue.message}`);
      process.exitCode = 1;
    },
  );
}

export function registerImportCommand(program: Command): void {
  const command = program
    .command('import')
    .description(
      'upload a CSV, NDJSON or JSON file of data points to a running KPI Hub and follow the import',
    )
    .argument('<file>', 'the file; its format from --format or its extension (.csv, .ndjson/.jsonl, .json)')
    .addOption(
      new Option('--url <url>', 'the KPI Hub server').env('KPIHUB_URL').default('http://127.0.0.1:8080'),
    )
    .addOption(new Option('--key <key>', 'an API key with the write scope').env('KPIHUB_API_KEY'))
    .addOption(new Option('--format <format>', 'the file format').choices(IMPORT_FORMATS))
    .option('--mapping <json>', 'the whole column mapping as JSON, as POST /v1/imports takes it')
    .option('--metric-id <column>', 'the column (CSV: name or 0-based index) or key holding the metric id')
    .option('--metric-external-id <column>', '... or the metric external_id')
    .option('--date <column>', '... the date of a one-day period')
    .option('--period-start <column>', '... or the start of the period')
    .option('--period-end <column>', '... and its end (default: the start)')
    .option('--value <column>', '... the value')
    .option('--notes <column>', '... the notes')
    .option('--status <column>', "... the data point's status")
    .option(
      '--coordinate <dimension=column>',
      '... the member of a dimension (repeat for each)',
      (v: string, all: string[] | undefined) => [...(all ?? []), v],
    )
    .option('--no-header', 'CSV: the first row is data (map columns by index)')
    .option('--dry-run', 'check every row and store nothing')
    .option('--no-progress', 'plain lines, no progress bar (so too when stdout is not a terminal)')
    .option('--max-errors <n>', 'errors to print', count, 10)
    .action((file: string, opts: ImportOptions, cmd: Command) => exitWith(() => importFile(file, opts), cmd));

  command
    .command('status')
    .description('show an import: status, counts and first errors (exit 1 when it failed)')
    .argument('<id>', 'the import (job) id')
    .option('--wait', 'follow it until it ends')
    .action((id: string, _opts: unknown, cmd: Command) =>
      exitWith(async () => {
        // --url, --key and the display options are the import command's.
        const opts = cmd.optsWithGlobals() as ImportOptions & { wait?: boolean };
        const conn = connection(opts);
        let view = await getImport(conn, id);
        if (opts.wait && !isFinished(view)) {
          const progress =
            opts.progress && process.stdout.isTTY
              ? barProgress(process.stdout, undefined, new RowEstimate(undefined, true))
              : lineProgress(say);
          try {
            view = await follow(conn, view, progress);
          } finally {
            progress.stop();
          }
        }
        return report(view, opts.maxErrors);
      }, cmd),
    );
}
