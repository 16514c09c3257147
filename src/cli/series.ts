import { type Command, Option } from 'commander';
import { AGGREGATES } from '../core/rollups/accumulator.ts';
import { fetchSeries, type Series, type SeriesGroup } from './read-client.ts';
import {
  addConnectionOptions,
  type ConnectionOptions,
  connectionOf,
  coordinatesOf,
  positiveInteger,
  repeated,
  runClient,
} from './read-options.ts';
import { type Align, columns, periodLabel } from './text-output.ts';

// `kpihub series`: a metric's values rolled up by period (GET /v1/metrics/{id}/series), from
// a running KPI Hub, as an aligned table: a row per period, with --group-by a column per
// member. --json prints the answer itself.

const GRANULARITIES = ['day', 'week', 'month', 'quarter', 'year'] as const;

interface SeriesOptions extends ConnectionOptions {
  metric: string;
  granularity?: string;
  agg?: string;
  from?: string;
  to?: string;
  coordinate?: string[];
  asOf?: string;
  groupBy?: string;
  top?: number;
  json?: boolean;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** A breakdown's column heading: the member, "(none)" for points without one, "other (N)". */
export function groupLabel(g: SeriesGroup): string {
  if (g.other) return `other (${g.members})`;
  return g.member ?? '(none)';
}

/** The series as table lines: period, value, count; or a column per group, and the whole. */
export function seriesTable(s: Series): string[] {
  const label = (start: string) => periodLabel(start, s.granularity);
  if (!s.groups) {
    if (s.points.length === 0) return ['no data points in this range'];
    return columns(
      s.points.map((p) => [label(p.period_start), p.value, String(p.count)]),
      ['left', 'right', 'right'],
      ['period', s.agg, 'count'],
    );
  }
  const groups = s.groups;
  const starts = new Set(s.points.map((p) => p.period_start));
  for (const g of groups) for (const p of g.points) starts.add(p.period_start);
  if (starts.size === 0) return ['no data points in this range'];
  const byGroup = groups.map((g) => new Map(g.points.map((p) => [p.period_start, p.value])));
  const whole = new Map(s.points.map((p) => [p.period_start, p.value]));
  const rows = [...starts]
    .sort()
    .map((start) => [label(start), ...byGroup.map((m) => m.get(start) ?? '-'), whole.get(start) ?? '-']);
  const align: Align[] = ['left', ...groups.map((): Align => 'right'), 'right'];
  return columns(rows, align, ['period', ...groups.map(groupLabel), `all (${s.agg})`]);
}

async function showSeries(opts: SeriesOptions): Promise<void> {
  const conn = connectionOf(opts);
  const s = await fetchSeries(conn, opts.metric, {
    granularity: opts.granularity,
    agg: opts.agg,
    from: opts.from,
    to: opts.to,
    coordinates: coordinatesOf(opts.coordinate),
    asOf: opts.asOf,
    groupBy: opts.groupBy,
    top: opts.top,
  });
  if (opts.json) say(JSON.stringify(s, null, 2));
  else for (const line of seriesTable(s)) say(line);
}

export function registerSeriesCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('series')
      .description(
        "a metric's values rolled up by day, week, month, quarter or year, from a running KPI Hub",
      ),
  )
    .requiredOption('--metric <id>', 'the metric')
    .addOption(
      new Option('--granularity <period>', 'the period of a row (default: month)').choices(GRANULARITIES),
    )
    .addOption(new Option('--agg <aggregate>', "a period's aggregate (default: sum)").choices(AGGREGATES))
    .option('--from <date>', 'first period start (YYYY-MM-DD)')
    .option('--to <date>', 'last period start (YYYY-MM-DD)')
    .option(
      '--coordinate <dimension=member>',
      'only points with this member of a dimension (id or name; repeat for each)',
      repeated,
    )
    .option('--as-of <instant>', 'the values as they were then (ISO-8601 date-time)')
    .option('--group-by <dimension>', 'a column per member of this dimension (id or name)')
    .option(
      '--top <n>',
      'with --group-by: the top N members, the rest as one "other" column (default 10)',
      positiveInteger,
    )
    .option('--json', 'print the JSON answer instead of a table')
    .action((opts: SeriesOptions, cmd: Command) => runClient(cmd, 'series', () => showSeries(opts)));
}
