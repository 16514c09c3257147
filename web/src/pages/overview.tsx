import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, problemText, type Schemas } from '../api/client';
import { Sparkline } from '../components/chart';
import { actorLabel, formatDate, formatDateTime, formatValue, unitLabel } from '../format';
import { FirstRun } from './first-run';

type Card = Schemas['Summary']['items'][number];
type Dataset = Schemas['Dataset'];
type Metric = Schemas['Metric'];

interface Group {
  id: string;
  name: string;
  cards: Card[];
}

const FREQUENCY_PERIOD: Record<string, 'day' | 'week' | 'month' | 'quarter' | 'year'> = {
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
  quarterly: 'quarter',
  yearly: 'year',
};

/** Every page of a cursor-paged listing. */
async function all<T>(
  page: (cursor?: string) => Promise<{ items: T[]; next_cursor: string | null } | undefined>,
) {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const got = await page(cursor);
    if (!got) break;
    out.push(...got.items);
    cursor = got.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * A card for a metric outside any dataset (Visible's POST /metrics makes those): the
 * summary endpoint is per dataset, so its numbers come from the metric's own series.
 */
async function looseCard(m: Metric): Promise<Card> {
  const granularity = FREQUENCY_PERIOD[m.frequency ?? 'monthly'] ?? 'month';
  const agg = m.value_type === 'percentage' ? 'avg' : 'last';
  const { data } = await api.GET('/v1/metrics/{id}/series', {
    params: { path: { id: m.id }, query: { granularity, agg } },
  });
  const points = (data?.points ?? []).slice(-12);
  const latest = points.at(-1);
  const previous = points.at(-2);
  const change =
    latest && previous
      ? {
          absolute: String(Number(latest.value) - Number(previous.value)),
          percent:
            Number(previous.value) === 0
              ? null
              : (
                  ((Number(latest.value) - Number(previous.value)) / Math.abs(Number(previous.value))) *
                  100
                ).toFixed(2),
        }
      : null;
  return {
    metric_id: m.id,
    name: m.name,
    unit: m.unit,
    value_type: m.value_type,
    granularity,
    agg,
    latest: latest ? { period_start: latest.period_start, value: latest.value, count: latest.count } : null,
    previous: previous ? { period_start: previous.period_start, value: previous.value } : null,
    change,
    sparkline: points.map((p) => ({ period_start: p.period_start, value: p.value })),
    last_write_at: m.updated_at,
    last_write_by: m.updated_by,
  };
}

function Change(props: { card: Card }) {
  const c = props.card.change;
  if (!c) return <span class="change flat">no previous period</span>;
  const n = Number(c.absolute);
  const dir = n > 0 ? 'up' : n < 0 ? 'down' : 'flat';
  const arrow = n > 0 ? '▲' : n < 0 ? '▼' : '●';
  const pct = c.percent === null ? '' : ` (${n > 0 ? '+' : ''}${c.percent}%)`;
  const words = n > 0 ? 'up' : n < 0 ? 'down' : 'unchanged';
  return (
    <span
      class={`change ${dir}`}
      title={`Against ${props.card.previous?.period_start ?? 'the previous period'}`}
    >
      <span aria-hidden="true">{arrow} </span>
      <span class="sr-only">{words} </span>
      {formatValue(
        String(Math.abs(n)),
        props.card.value_type === 'integer' ? 'number' : props.card.value_type,
        props.card.unit,
      )}
      {pct}
    </span>
  );
}

export function KpiCard(props: { card: Card }) {
  const c = props.card;
  const unit = unitLabel(c.value_type, c.unit);
  return (
    <li class="card" data-metric-id={c.metric_id}>
      <a href={`/metric/${c.metric_id}`} class="card-link">
        <h3>{c.name}</h3>
      </a>
      <p class="value">
        <span data-testid="card-value">{formatValue(c.latest?.value, c.value_type, c.unit)}</span>
        {unit && <span class="unit"> {unit}</span>}
      </p>
      <p class="period">
        {c.latest ? `${c.granularity} of ${formatDate(c.latest.period_start)}` : 'no data yet'}
      </p>
      <Change card={c} />
      {c.sparkline.some((p) => p.value !== null) && (
        <Sparkline points={c.sparkline} label={`${c.name}, last ${c.sparkline.length} periods`} />
      )}
      <p class="meta">
        {c.last_write_at ? `Updated ${formatDateTime(c.last_write_at)}` : 'Never updated'}
        {c.last_write_by ? ` by ${actorLabel(c.last_write_by)}` : ''}
      </p>
    </li>
  );
}

export function OverviewPage() {
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');

  useEffect(() => {
    (async () => {
      const datasets = await all<Dataset>(async (cursor) => {
        const { data, error } = await api.GET('/v1/datasets', { params: { query: { limit: 100, cursor } } });
        if (error) setError(problemText(error));
        return data;
      });
      const summaries = await Promise.all(
        datasets.map(async (d) => {
          const cards = await all<Card>(async (cursor) => {
            const { data } = await api.GET('/v1/datasets/{id}/summary', {
              params: { path: { id: d.id }, query: { limit: 200, cursor } },
            });
            return data;
          });
          return { id: d.id, name: d.name, cards };
        }),
      );
      const metrics = await all<Metric>(async (cursor) => {
        const { data } = await api.GET('/v1/metrics', { params: { query: { limit: 100, cursor } } });
        return data;
      });
      const loose = metrics.filter((m) => m.dataset_id === null);
      if (loose.length) {
        summaries.push({
          id: 'loose',
          name: 'Metrics outside a dataset',
          cards: await Promise.all(loose.map(looseCard)),
        });
      }
      setGroups(summaries);
    })().catch((e) => setError(String(e)));
  }, []);

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!groups || !q) return groups;
    return groups
      .map((g) => ({
        ...g,
        cards: g.name.toLowerCase().includes(q)
          ? g.cards
          : g.cards.filter((c) => c.name.toLowerCase().includes(q)),
      }))
      .filter((g) => g.cards.length > 0);
  }, [groups, query]);

  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!groups || !shown) return <p class="loading">Loading KPIs…</p>;
  if (groups.length === 0) return <FirstRun />;

  return (
    <section>
      <div class="page-head">
        <h1>Overview</h1>
        <input
          type="search"
          aria-label="Search KPIs"
          placeholder="Search KPIs"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </div>
      {shown.length === 0 && <p>No KPI matches “{query}”.</p>}
      {shown.map((g) => (
        <section key={g.id} class="dataset" aria-labelledby={`ds-${g.id}`}>
          <h2 id={`ds-${g.id}`}>{g.name}</h2>
          {g.cards.length === 0 ? (
            <p class="muted">This dataset has no metrics yet.</p>
          ) : (
            <ul class="cards">
              {g.cards.map((c) => (
                <KpiCard key={c.metric_id} card={c} />
              ))}
            </ul>
          )}
        </section>
      ))}
    </section>
  );
}
