import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Presets, SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { EXPORT_FORMATS, type ExportFormat } from '../core/points/export-format.ts';
import { ApiError } from './api-client.ts';
import { type ExportRequest, openExport, RecordCounter } from './export-client.ts';
import { coordinatesOf, repeated } from './read-options.ts';

// `kpihub export`: the data points of a metric or of a dataset, from a running KPI Hub (GET
// …/data_points/export), to a file or stdout, streamed: any number of points in constant
// memory. The CSV it writes goes back through `kpihub import` as it is. Like `kpihub
// import`, it is a client of the HTTP API, not of the database.

interface ExportOptions {
  url: string;
  key?: string;
  metric?: string;
  dataset?: string;
  output?: string;
  format?: ExportFormat;
  from?: string;
  to?: string;
  asOf?: string;
  coordinate?: string[];
  progress: boolean;
}

const EXTENSIONS: Record<string, ExportFormat> = { csv: 'csv', ndjson: 'ndjson', jsonl: 'ndjson' };

// Messages go to stderr: stdout may be the export itself.
const complain = (line: string) => process.stderr.write(`${line}\n`);

const bytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`;

function requestOf(opts: ExportOptions): ExportRequest {
  if ((opts.metric === undefined) === (opts.dataset === undefined)) {
    throw new InvalidArgumentError('give exactly one of --metric <id> and --dataset <id>');
  }
  const extension = /\.([a-z]+)$/i.exec(opts.output ?? '')?.[1]?.toLowerCase() ?? '';
  return {
    of: opts.metric !== undefined ? { metric: opts.metric } : { dataset: opts.dataset as string },
    format: opts.format ?? EXTENSIONS[extension] ?? 'csv',
    from: opts.from,
    to: opts.to,
    coordinates: coordinatesOf(opts.coordinate),
    asOf: opts.asOf,
  };
}

/** A bar-less progress line on a terminal: points and bytes so far (no total is known up front). */
function progressLine(counter: RecordCounter) {
  const bar = new SingleBar(
    { stream: process.stderr, format: 'export | {points} points | {size}', hideCursor: true, fps: 10 },
    Presets.shades_classic,
  );
  bar.start(1, 0, { points: 0, size: bytes(0) });
  return {
    update: () => bar.update(0, { points: counter.records(), size: bytes(counter.bytes) }),
    stop: () => bar.stop(),
  };
}

async function exportPoints(opts: ExportOptions): Promise<number> {
  if (!opts.key) throw new InvalidArgumentError('an API key is needed: --key or KPIHUB_API_KEY');
  const req = requestOf(opts);
  const conn = { url: opts.url, key: opts.key };
  const counter = new RecordCounter(req.format);
  const progress = opts.progress && process.stderr.isTTY ? progressLine(counter) : undefined;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counter.see(chunk);
      progress?.update();
      done(null, chunk);
    },
  });
  // A file is written beside its name and renamed once whole: a cut export leaves no file
  // that looks complete.
  const part = opts.output === undefined ? undefined : `${opts.output}.part`;
  const interrupted = () => {
    progress?.stop();
    if (part) void rm(part, { force: true }).finally(() => process.exit(130));
    else process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    const body = await openExport(conn, req);
    if (part) {
      await pipeline(body, count, createWriteStream(part));
      await rename(part, opts.output as string);
    } else {
      await pipeline(body, count, process.stdout, { end: false });
    }
  } catch (e) {
    if (part) await rm(part, { force: true });
    throw e;
  } finally {
    progress?.stop();
    process.removeListener('SIGINT', interrupted);
  }
  const where = opts.output ?? 'stdout';
  complain(`exported ${counter.records()} data points to ${where} (${req.format}, ${bytes(counter.bytes)})`);
  return 0;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'write the data points of a metric or a dataset from a running KPI Hub to a file, as CSV (importable with kpihub import) or NDJSON',
    )
    .addOption(
      new Option('--url <url>', 'the KPI Hub server').env('KPIHUB_URL').default('http://127.0.0.1:8080'),
    )
    .addOption(new Option('--key <key>', 'an API key with the read scope').env('KPIHUB_API_KEY'))
    .option('--metric <id>', "export this metric's points")
    .option('--dataset <id>', '... or the points of every metric of this dataset')
    .option('-o, --output <file>', 'the file to write (default: stdout)')
    .addOption(
      new Option(
        '--format <format>',
        'default: from the file extension (.csv, .ndjson/.jsonl), else csv',
      ).choices(EXPORT_FORMATS),
    )
    .option('--from <date>', 'first period start (YYYY-MM-DD)')
    .option('--to <date>', 'last period start (YYYY-MM-DD)')
    .option(
      '--coordinate <dimension=member>',
      'only points with this member of a dimension (id or name; repeat for each)',
      repeated,
    )
    .option('--as-of <instant>', 'the values as they were then (ISO-8601 date-time)')
    .option('--no-progress', 'no progress line (so too when stderr is not a terminal)')
    .action((opts: ExportOptions, cmd: Command) =>
      exportPoints(opts).then(
        (code) => {
          process.exitCode = code;
        },
        (e: unknown) => {
          if (e instanceof InvalidArgumentError) cmd.error(`error: ${e.message}`, { exitCode: 2 });
          if (!(e instanceof ApiError)) throw e;
          complain(`kpihub: the server refused the export: ${e.message}`);
          for (const issue of e.errors) complain(`  ${issue.field}: ${issue.message}`);
          process.exitCode = 1;
        },
      ),
    );
}
