import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, problemText, type Schemas } from '../api/client';
import { type Line, TimeChart } from '../components/chart';
import { Legend } from '../components/legend';
import { actorLabel, formatDate, formatDateTime, formatValue, type Granularity } from '../format';

type Metric = Schemas['Metric'];
type Point = Schemas['DataPoint'];
type Revision = Schemas['DataPointRevision'];
type Series = Schemas['Series'];
type Agg = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'first' | 'last';

const GRANULARITIES: Granularity[] = ['day', 'week', 'month', 'quarter', 'year'];
const AGGS: Agg[] = ['sum', 'avg', 'min', 'max', 'count', 'first', 'last'];
const PAGE = 25;
const FREQ: Record<string, Granularity> = {
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
  quarterly: 'quarter',
  yearly: 'year',
};

/** A datetime-local input's value (the reader's time) as an instant, or undefined. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

function seriesLines(series: Series, metric: Metric): Line[] {
  if (!series.groups) return [{ label: metric.name, points: series.points }];
  return series.groups.map((g) => ({
    label: g.other ? `other (${g.members})` : (g.member ?? '(none)'),
    points: g.points,
  }));
}

type SortKey = 'value' | 'status' | 'updated_at';
type Order = 'period' | '-period';

/**
 * The points of one page. The server pages them by period (newest first unless the Period
 * header turns it round), so every page continues the one before; the other columns sort
 * the page in hand, which the note under the table says.
 */
function PointsTable(props: {
  metric: Metric;
  points: Point[];
  order: Order;
  onOrder(order: Order): void;
  onHistory(p: Point): void;
  onEdit(p: Point): void;
}) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean } | null>(null);
  const rows = useMemo(() => {
    if (!sort) return props.points;
    const numeric = sort.key === 'value' && props.metric.value_type !== 'text';
    const value = (p: Point) =>
      numeric ? Number(p[sort.key] ?? Number.NEGATIVE_INFINITY) : String(p[sort.key] ?? '');
    return [...props.points].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (sort.desc ? -1 : 1);
    });
  }, [props.points, sort]);
  const sortHeader = (label: string, direction: 'ascending' | 'descending' | 'none', onClick: () => void) => (
    <th aria-sort={direction}>
      <button type="button" class="link" onClick={onClick}>
        {label}
        {direction === 'descending' ? ' ↓' : direction === 'ascending' ? ' ↑' : ''}
      </button>
    </th>
  );
  const header = (key: SortKey, label: string) =>
    sortHeader(label, sort?.key !== key ? 'none' : sort.desc ? 'descending' : 'ascending', () =>
      setSort({ key, desc: sort?.key === key ? !sort.desc : false }),
    );
  const periodHeader = sortHeader(
    'Period',
    sort ? 'none' : props.order === '-period' ? 'descending' : 'ascending',
    () => {
      // A click while another column sorts the page goes back to the server's order as it is.
      if (sort) setSort(null);
      else props.onOrder(props.order === '-period' ? 'period' : '-period');
    },
  );
  const dims = props.metric.dimensions;
  return (
    <div class="table-wrap">
      <table class="points">
        <caption class="sr-only">Data points of {props.metric.name}</caption>
        <thead>
          <tr>
            {periodHeader}
            {dims.length > 0 && <th>Coordinates</th>}
            {header('value', 'Value')}
            <th>Notes</th>
            {header('status', 'Status')}
            {header('updated_at', 'Updated')}
            <th>
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.id} data-period={p.period_start}>
              <td>
                {formatDate(p.period_start)}
                {p.period_end !== p.period_start ? ` – ${formatDate(p.period_end)}` : ''}
              </td>
              {dims.length > 0 && (
                <td>
                  {Object.entries(p.coordinates ?? {})
                    .map(([d, m]) => `${dims.find((x) => x.id === d)?.name ?? d}: ${m}`)
                    .join(', ')}
                </td>
              )}
              <td class="num" data-testid="point-value">
                {formatValue(p.value, props.metric.value_type, props.metric.unit)}
              </td>
              <td>{p.notes ?? ''}</td>
              <td>{p.status ?? ''}</td>
              <td>
                {formatDateTime(p.updated_at)}
                {p.updated_by ? ` by ${actorLabel(p.updated_by)}` : ''}
              </td>
              <td class="actions">
                <button
                  type="button"
                  class="secondary"
                  onClick={() => props.onHistory(p)}
                  aria-label={`History of ${p.period_start}`}
                >
                  History
                </button>
                <button
                  type="button"
                  class="secondary"
                  onClick={() => props.onEdit(p)}
                  aria-label={`Edit ${p.period_start}`}
                >
                  Edit
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">Period orders every page; Value, Status and Updated sort the page shown.</p>
    </div>
  );
}

function History(props: { metric: Metric; point: Point; onClose(): void }) {
  const [revisions, setRevisions] = useState<Revision[] | null>(null);
  useEffect(() => {
    api
      .GET('/v1/metrics/{id}/data_points/{point_id}/revisions', {
        params: { path: { id: props.metric.id, point_id: props.point.id } },
      })
      .then(({ data }) => setRevisions(data?.revisions ?? []));
  }, [props.point]);
  const fmt = (v: string | null) => formatValue(v, props.metric.value_type, props.metric.unit);
  return (
    <section class="panel" aria-labelledby="history-title">
      <div class="page-head">
        <h2 id="history-title">History of {formatDate(props.point.period_start)}</h2>
        <button type="button" class="secondary" onClick={props.onClose}>
          Close history
        </button>
      </div>
      {!revisions ? (
        <p class="loading">Loading…</p>
      ) : (
        <div class="table-wrap">
          <table class="revisions">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>Change</th>
                <th>Through</th>
              </tr>
            </thead>
            <tbody>
              {revisions.map((r) => (
                <tr key={r.id}>
                  <td>{formatDateTime(r.changed_at)}</td>
                  <td title={r.actor ?? undefined}>{actorLabel(r.actor)}</td>
                  <td data-testid="revision-change">
                    {r.op}: {fmt(r.old_value)} → {fmt(r.new_value)}
                  </td>
                  <td>{r.job_id ? `job ${r.job_id}` : r.request_id ? `request ${r.request_id}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function EditPoint(props: { metric: Metric; point: Point; onDone(changed: boolean): void }) {
  const [value, setValue] = useState(props.point.value ?? '');
  const [notes, setNotes] = useState(props.point.notes ?? '');
  const [error, setError] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const p = props.point;
    const { error: problem } = await api.PUT('/v1/metrics/{id}/data_points', {
      params: { path: { id: props.metric.id } },
      body: {
        data_points: [
          {
            period_start: p.period_start,
            period_end: p.period_end,
            value: value === '' ? null : value,
            notes: notes === '' ? null : notes,
            ...(p.coordinates ? { coordinates: p.coordinates } : {}),
          },
        ],
      },
    });
    if (problem) setError(problemText(problem));
    else props.onDone(true);
  };
  return (
    <form class="panel edit" onSubmit={save} aria-label={`Edit the value of ${props.point.period_start}`}>
      <h2>Edit {formatDate(props.point.period_start)}</h2>
      <label>
        Value
        <input name="value" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </label>
      <label>
        Notes
        <input name="notes" value={notes} onInput={(e) => setNotes(e.currentTarget.value)} />
      </label>
      <button type="submit">Save</button>
      <button type="button" class="secondary" onClick={() => props.onDone(false)}>
        Cancel
      </button>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

export function MetricPage(props: { params?: { id: string }; id?: string }) {
  const id = props.params?.id ?? props.id ?? '';
  const [metric, setMetric] = useState<Metric | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [granularity, setGranularity] = useState<Granularity>('month');
  const [agg, setAgg] = useState<Agg>('sum');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [groupBy, setGroupBy] = useState('');
  const [asOf, setAsOf] = useState('');
  const [series, setSeries] = useState<Series | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  const [points, setPoints] = useState<Point[] | null>(null);
  // Cursors of the pages before the current one, for "Previous".
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [order, setOrder] = useState<Order>('-period');
  const [next, setNext] = useState<string | null>(null);
  const [history, setHistory] = useState<Point | null>(null);
  const [editing, setEditing] = useState<Point | null>(null);
  const [version, setVersion] = useState(0);
  // How long uPlot took to draw, and when (for the timings in docs/benchmarks.md).
  const [draw, setDraw] = useState<{ ms: number; at: number } | null>(null);

  useEffect(() => {
    api.GET('/v1/metrics/{id}', { params: { path: { id } } }).then(({ data, error: problem }) => {
      if (!data) return setError(problemText(problem));
      setMetric(data);
      setGranularity(FREQ[data.frequency ?? ''] ?? 'month');
      if (data.value_type === 'percentage') setAgg('avg');
      else if (
        data.value_type !== 'number' &&
        data.value_type !== 'currency' &&
        data.value_type !== 'integer'
      )
        setAgg('count');
    });
  }, [id]);

  const range = { from: from || undefined, to: to || undefined, as_of: instant(asOf) };

  useEffect(() => {
    if (!metric) return;
    // An answer to the options before the last change is dropped (it may come last).
    let current = true;
    setHidden(new Set());
    api
      .GET('/v1/metrics/{id}/series', {
        params: {
          path: { id },
          query: { granularity, agg, ...range, ...(groupBy ? { group_by: groupBy, top: 8 } : {}) },
        },
      })
      .then(({ data, error: problem }) => {
        if (current) data ? setSeries(data) : setError(problemText(problem));
      });
    return () => {
      current = false;
    };
  }, [metric, granularity, agg, from, to, groupBy, asOf, version]);

  const cursor = cursors.at(-1);
  useEffect(() => {
    if (!metric) return;
    // Likewise a page asked for before the window or order changed.
    let current = true;
    api
      .GET('/v1/metrics/{id}/data_points', {
        params: { path: { id }, query: { limit: PAGE, cursor, order, ...range } },
      })
      .then(({ data, error: problem }) => {
        if (!current) return;
        if (!data) return setError(problemText(problem));
        setPoints(data.items);
        setNext(data.next_cursor);
      });
    return () => {
      current = false;
    };
  }, [metric, cursor, order, from, to, asOf, version]);

  // A new window starts the table at its first page.
  useEffect(() => setCursors([undefined]), [from, to, asOf]);

  const lines = useMemo(() => (series && metric ? seriesLines(series, metric) : []), [series, metric]);

  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!metric) return <p class="loading">Loading…</p>;

  const exportQuery = new URLSearchParams({ format: 'csv' });
  for (const [k, v] of Object.entries(range)) if (v) exportQuery.set(k, v);

  return (
    <section class="metric">
      <p>
        <a href="/">← Overview</a>
      </p>
      <div class="page-head">
        <h1>{metric.name}</h1>
        <a class="button secondary" href={`/v1/metrics/${id}/data_points/export?${exportQuery}`} download>
          Download CSV
        </a>
      </div>
      {metric.description && <p class="muted">{metric.description}</p>}
      <form class="controls" onSubmit={(e) => e.preventDefault()} aria-label="Chart and table options">
        <label>
          Granularity
          <select value={granularity} onChange={(e) => setGranularity(e.currentTarget.value as Granularity)}>
            {GRANULARITIES.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <label>
          Aggregate
          <select value={agg} onChange={(e) => setAgg(e.currentTarget.value as Agg)}>
            {AGGS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        </label>
        {metric.dimensions.length > 0 && (
          <label>
            Breakdown
            <select value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value)}>
              <option value="">none</option>
              {metric.dimensions.map((d) => (
                <option key={d.id} value={d.id}>
                  by {d.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          As of
          <input
            type="datetime-local"
            step="1"
            value={asOf}
            onChange={(e) => setAsOf(e.currentTarget.value)}
          />
        </label>
        {asOf && (
          <button type="button" class="secondary" onClick={() => setAsOf('')}>
            Now
          </button>
        )}
      </form>
      {asOf && <p class="notice">Showing the data as it was on {formatDateTime(instant(asOf))}.</p>}
      {series && (
        <>
          <TimeChart
            lines={lines}
            granularity={series.granularity as Granularity}
            hidden={hidden}
            label={`${metric.name}: ${agg} by ${granularity}`}
            onDrawn={(ms) => setDraw({ ms, at: performance.now() })}
          />
          <p
            class="muted small"
            data-testid="chart-info"
            data-draw-ms={draw?.ms ?? ''}
            data-drawn-at={draw?.at ?? ''}
          >
            {series.points.length + (series.groups?.reduce((n, g) => n + g.points.length, 0) ?? 0)} periods,{' '}
            {agg} by {granularity}
          </p>
          {lines.length > 1 && (
            <Legend labels={lines.map((l) => l.label)} hidden={hidden} onChange={setHidden} name="Lines" />
          )}
        </>
      )}
      {editing && (
        <EditPoint
          metric={metric}
          point={editing}
          onDone={(changed) => {
            setEditing(null);
            if (changed) setVersion(version + 1);
          }}
        />
      )}
      {history && <History metric={metric} point={history} onClose={() => setHistory(null)} />}
      <h2>Data points</h2>
      {!points ? (
        <p class="loading">Loading…</p>
      ) : points.length === 0 ? (
        <p class="muted">No data points{asOf ? ' at that time' : ''}.</p>
      ) : (
        <PointsTable
          metric={metric}
          points={points}
          order={order}
          onOrder={(o) => {
            // Together, so the page is never asked for with the other order's cursor.
            setCursors([undefined]);
            setOrder(o);
          }}
          onHistory={(p) => {
            setEditing(null);
            setHistory(p);
          }}
          onEdit={(p) => {
            setHistory(null);
            setEditing(p);
          }}
        />
      )}
      <nav class="pager" aria-label="Data point pages">
        <button
          type="button"
          class="secondary"
          disabled={cursors.length < 2}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Previous
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          class="secondary"
          disabled={!next}
          onClick={() => next && setCursors([...cursors, next])}
        >
          Next
        </button>
      </nav>
    </section>
  );
}
