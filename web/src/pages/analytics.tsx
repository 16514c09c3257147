import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, problemText } from '../api/client';
import { type Line, TimeChart } from '../components/chart';
import { Legend } from '../components/legend';
import { formatDateTime } from '../format';

// What the Vitally dialect stores: organizations, accounts and users with their traits and
// trait history, and events counted over time by name.

type EntityType = 'organization' | 'account' | 'user';
type Entity = NonNullable<Awaited<ReturnType<typeof loadEntity>>>;

const loadEntity = async (type: EntityType, externalId: string) =>
  (
    await api.GET('/v1/entities/{type}/{external_id}', {
      params: { path: { type, external_id: externalId } },
    })
  ).data;

const show = (v: unknown) =>
  v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);

function EntityDetail(props: { type: EntityType; externalId: string }) {
  const [entity, setEntity] = useState<Entity | null>(null);
  useEffect(() => {
    loadEntity(props.type, props.externalId).then((e) => setEntity(e ?? null));
  }, [props.type, props.externalId]);
  if (!entity) return <p class="loading">Loading…</p>;
  return (
    <section class="panel" aria-labelledby="entity-title">
      <h3 id="entity-title">
        {entity.name ?? (typeof entity.traits.name === 'string' ? entity.traits.name : entity.external_id)}{' '}
        <span class="muted">({entity.type})</span>
      </h3>
      <h4>Traits</h4>
      <table>
        <tbody>
          {Object.entries(entity.traits).map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{show(v)}</td>
              <td class="muted">{formatDateTime(entity.trait_timestamps[k])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Trait history</h4>
      {entity.trait_history.length === 0 ? (
        <p class="muted">No changes yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Trait</th>
              <th>Change</th>
            </tr>
          </thead>
          <tbody>
            {entity.trait_history.map((h, i) => (
              <tr key={i}>
                <td>{formatDateTime(h.changed_at)}</td>
                <td>{h.key}</td>
                <td>
                  {h.removed
                    ? `${show(h.old_value)} → removed`
                    : `${show(h.old_value)} → ${show(h.new_value)}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Entities() {
  const [type, setType] = useState<EntityType>('account');
  const [items, setItems] = useState<
    { external_id: string; name: string | null; traits: Record<string, unknown>; updated_at: string }[] | null
  >(null);
  const [selected, setSelected] = useState<string | null>(null);
  useEffect(() => {
    setSelected(null);
    setItems(null);
    api
      .GET('/v1/entities', { params: { query: { type, limit: 100 } } })
      .then(({ data }) => setItems(data?.items ?? []));
  }, [type]);
  return (
    <section aria-labelledby="entities-title">
      <div class="page-head">
        <h2 id="entities-title">Organizations, accounts and users</h2>
        <label>
          Show
          <select value={type} onChange={(e) => setType(e.currentTarget.value as EntityType)}>
            <option value="organization">organizations</option>
            <option value="account">accounts</option>
            <option value="user">users</option>
          </select>
        </label>
      </div>
      {!items ? (
        <p class="loading">Loading…</p>
      ) : items.length === 0 ? (
        <p class="muted">None yet: the Vitally dialect's POST /analytics/v1/batch records them.</p>
      ) : (
        <ul class="entity-list">
          {items.map((e) => (
            <li key={e.external_id}>
              <button
                type="button"
                class="link"
                aria-pressed={selected === e.external_id}
                onClick={() => setSelected(e.external_id)}
              >
                {e.name ?? (typeof e.traits.name === 'string' ? e.traits.name : e.external_id)}
              </button>{' '}
              <span class="muted">{e.external_id}</span>
            </li>
          ))}
        </ul>
      )}
      {selected && <EntityDetail type={type} externalId={selected} />}
    </section>
  );
}

function EventCounts() {
  const [granularity, setGranularity] = useState<'day' | 'week' | 'month'>('day');
  const [lines, setLines] = useState<Line[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  useEffect(() => {
    api.GET('/v1/events/counts', { params: { query: { granularity } } }).then(({ data, error: problem }) => {
      if (!data) return setError(problemText(problem));
      const ls: Line[] = (data.events ?? []).map((e) => ({
        label: `${e.event} (${e.total})`,
        points: e.series.map((s) => ({ period_start: s.period_start, value: s.count })),
      }));
      if (data.other) {
        ls.push({
          label: `other (${data.other.events} events)`,
          points: data.other.series.map((s) => ({ period_start: s.period_start, value: s.count })),
        });
      }
      setHidden(new Set());
      setLines(ls);
    });
  }, [granularity]);
  const memo = useMemo(() => lines ?? [], [lines]);
  return (
    <section aria-labelledby="events-title">
      <div class="page-head">
        <h2 id="events-title">Events over time</h2>
        <label>
          Granularity
          <select
            value={granularity}
            onChange={(e) => setGranularity(e.currentTarget.value as typeof granularity)}
          >
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!lines ? (
        <p class="loading">Loading…</p>
      ) : lines.length === 0 ? (
        <p class="muted">No events yet.</p>
      ) : (
        <>
          <TimeChart
            lines={memo}
            hidden={hidden}
            granularity={granularity}
            label={`Event counts by ${granularity}`}
            height={260}
          />
          <Legend labels={memo.map((l) => l.label)} hidden={hidden} onChange={setHidden} name="Events" />
        </>
      )}
    </section>
  );
}

export function AnalyticsPage() {
  return (
    <section>
      <h1>Analytics</h1>
      <EventCounts />
      <Entities />
    </section>
  );
}
