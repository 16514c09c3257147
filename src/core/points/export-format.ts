import { stringify } from 'csv-stringify/sync';
import type { Metric } from '../metrics.ts';
import type { PointExport } from './export.ts';
import type { StoredPoint } from './stored-point.ts';

// How an export is written. CSV has exactly the columns a native import reads without a
// mapping (core/imports/column-mapping.ts, defaultMapping), so a file exported here goes
// back through `kpihub import` / POST /v1/imports as it is: `metric_id` (the import takes
// it over `metric_external_id`, which is there for a mapping into another organization),
// `period_start`, `period_end`, `value`, `notes`, `status` and one `coordinates.<dimension
// name>` column per dimension (names, not ids: the file also fits another metric with
// dimensions of the same names). An empty cell is null, as the import reads it. NDJSON has
// one point a line, as the listing (GET /v1/metrics/{id}/data_points) shows it.

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

const FIXED_COLUMNS = [
  'metric_id',
  'metric_external_id',
  'period_start',
  'period_end',
  'value',
  'notes',
  'status',
] as const;

const COORDINATE_PREFIX = 'coordinates.';

/** The CSV header: the fixed columns, then each dimension name of the metrics once, first seen first. */
export function csvColumns(metrics: Metric[]): string[] {
  const names = new Set<string>();
  for (const m of metrics) for (const d of m.dimensions) names.add(d.name);
  return [...FIXED_COLUMNS, ...[...names].map((n) => `${COORDINATE_PREFIX}${n}`)];
}

type CsvRow = (string | null)[];

/** Turns a point into its CSV cells, given its metric (for the external id and dimension names). */
function csvRowWriter(metrics: Metric[], columns: string[]) {
  const byId = new Map(metrics.map((m) => [m.id, m]));
  const dimensionColumn = new Map(
    columns.map((c, i) => [c, i] as const).filter(([c]) => c.startsWith(COORDINATE_PREFIX)),
  );
  // Per metric: dimension id → the column index of its name.
  const places = new Map(
    metrics.map((m) => [
      m.id,
      m.dimensions.map(
        (d) => [d.id, dimensionColumn.get(`${COORDINATE_PREFIX}${d.name}`) as number] as const,
      ),
    ]),
  );
  return (p: StoredPoint): CsvRow => {
    const metric = byId.get(p.metric_id);
    const row: CsvRow = new Array(columns.length).fill(null);
    row[0] = p.metric_id;
    row[1] = metric?.external_id ?? null;
    row[2] = p.period_start;
    row[3] = p.period_end;
    row[4] = p.value;
    row[5] = p.notes;
    row[6] = p.status;
    for (const [dimensionId, at] of places.get(p.metric_id) ?? []) {
      row[at] = p.coordinates?.[dimensionId] ?? null;
    }
    return row;
  };
}

/** A point as an NDJSON line: the listing's fields, in its order. */
function ndjsonLine(p: StoredPoint): string {
  return JSON.stringify({
    id: p.id,
    metric_id: p.metric_id,
    period_start: p.period_start,
    period_end: p.period_end,
    coordinates: p.coordinates,
    value: p.value,
    notes: p.notes,
    status: p.status,
    created_at: p.created_at,
    updated_at: p.updated_at,
    created_by: p.created_by,
    updated_by: p.updated_by,
  });
}

/**
 * The export as text, a piece per page of points (the CSV header first): the pieces are
 * made as they are asked for, so a consumer that waits (a slow client) stops the reading.
 */
export async function* encodeExport(exp: PointExport, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'ndjson') {
    for await (const page of exp.pages()) {
      let text = '';
      for (const p of page) text += `${ndjsonLine(p)}\n`;
      yield text;
    }
    return;
  }
  const columns = csvColumns(exp.metrics);
  const toRow = csvRowWriter(exp.metrics, columns);
  yield stringify([columns]);
  for await (const page of exp.pages()) yield stringify(page.map(toRow));
}
