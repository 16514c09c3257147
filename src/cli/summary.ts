import { type Command, Option } from 'commander';
import { AGGREGATES } from '../core/rollups/accumulator.ts';
import { fetchSummary, type MetricSummary } from './read-client.ts';
import {
  addConnectionOptions,
  type ConnectionOptions,
  connectionOf,
  positiveInteger,
  runClient,
} from './read-options.ts';
import { columns, instant, periodLabel, signed, sparkline, withUnit } from './text-output.ts';

// `kpihub summary`: every metric of a dataset as a KPI card on one line (GET
// /v1/datasets/{id}/summary, every page): latest value and period, change, sparkline, last
// change and who made it. --json prints the items as one array.

interface SummaryOptions extends ConnectionOptions {
  dataset: string;
  periods?: number;
  agg?: string;
  json?: boolean;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** "+12.5 (+3.2%)"; without a percent (the previous value was 0) only the absolute change. */
export function changeText(change: MetricSummary['change']): string {
  if (!change) return '';
  const abs = signed(change.absolute);
  return change.percent === null ? abs : `${abs} (${signed(change.percent)}%)`;
}

/** A line per metric, in aligned columns. */
export function summaryLines(items: MetricSummary[]): string[] {
  if (items.length === 0) return ['no metrics in this dataset'];
  const rows = items.map((m) => {
    const by = m.last_write_by ? ` by ${m.last_write_by}` : '';
    const when = m.last_write_at ? `changed ${instant(m.last_write_at)}${by}` : '';
    if (!m.latest) return [m.name, 'no data', '', '', '', when];
    return [
      m.name,
      withUnit(m.latest.value, m.unit),
      periodLabel(m.latest.period_start, m.granularity),
      changeText(m.change),
      sparkline(m.sparkline.map((p) => p.value)),
      when,
    ];
  });
  return columns(rows, ['left', 'right', 'left', 'left', 'left', 'left']);
}

async function showSummary(opts: SummaryOptions): Promise<void> {
  const conn = connectionOf(opts);
  const items = await fetchSummary(conn, opts.dataset, { periods: opts.periods, agg: opts.agg });
  if (opts.json) say(JSON.stringify(items, null, 2));
  else for (const line of summaryLines(items)) say(line);
}

export function registerSummaryCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('summary')
      .description(
        'each metric of a dataset on one line, from a running KPI Hub: latest value, change, sparkline, last change',
      ),
  )
    .requiredOption('--dataset <id>', 'the dataset')
    .option(
      '--periods <n>',
      'sparkline length, in periods of each metric (default 12, at most 100)',
      positiveInteger,
    )
    .addOption(
      new Option('--agg <aggregate>', "one aggregate for every metric (default: each metric's own)").choices(
        AGGREGATES,
      ),
    )
    .option('--json', 'print every metric as a JSON array instead')
    .action((opts: SummaryOptions, cmd: Command) => runClient(cmd, 'summary', () => showSummary(opts)));
}
