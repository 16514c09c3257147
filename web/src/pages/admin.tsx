import { useEffect, useState } from 'preact/hooks';
import { api, problemText } from '../api/client';
import { type ApiKey, createKey, type KeyScope, listKeys, type NewApiKey, revokeKey } from '../api/keys';
import { CopyButton } from '../components/copy';
import { actorLabel, formatDateTime } from '../format';
import { useSession } from '../session';

const SCOPES: KeyScope[] = ['read', 'write', 'admin'];

function Keys() {
  const { session } = useSession();
  const [keys, setKeys] = useState<ApiKey[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<KeyScope>>(new Set(['read']));
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    listKeys()
      .then(setKeys)
      .catch((e) => setError(String(e.message ?? e)));
  }, [version]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setCreated(
        await createKey(
          name.trim(),
          SCOPES.filter((s) => scopes.has(s)),
        ),
      );
      setName('');
      setVersion(version + 1);
    } catch (err) {
      setError(String((err as Error).message));
    }
  };
  const revoke = async (k: ApiKey) => {
    if (!confirm(`Revoke the key “${k.name}”? Scripts using it stop working at once.`)) return;
    try {
      await revokeKey(k.id);
      setVersion(version + 1);
    } catch (err) {
      setError(String((err as Error).message));
    }
  };

  return (
    <>
      <form class="panel key-form" onSubmit={create} aria-label="Create an API key">
        <label>
          Key name
          <input name="key_name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                name="scope"
                value={s}
                checked={scopes.has(s)}
                onChange={(e) => {
                  const next = new Set(scopes);
                  if (e.currentTarget.checked) next.add(s);
                  else next.delete(s);
                  setScopes(next);
                }}
              />
              {s}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={!name.trim() || scopes.size === 0}>
          Create key
        </button>
      </form>
      {created && (
        <div class="panel secret" role="status">
          <p>
            The secret of <strong>{created.name}</strong>, shown this once (only its hash is kept):
          </p>
          <p class="code">
            <code data-testid="new-secret">{created.secret}</code>
            <CopyButton text={created.secret} label="Copy the new key's secret" />
          </p>
          <button type="button" class="secondary" onClick={() => setCreated(null)}>
            I have kept it
          </button>
        </div>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {keys === undefined ? (
        <p class="loading">Loading…</p>
      ) : (
        <div class="table-wrap">
          <table class="keys">
            <thead>
              <tr>
                <th>Name</th>
                <th>Prefix</th>
                <th>Scopes</th>
                <th>Created</th>
                <th>Last used</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} data-key-name={k.name}>
                  <td>
                    {k.name}
                    {k.id === session.key_id && <span class="muted"> (signed in with it)</span>}
                  </td>
                  <td>{k.prefix ? <code>{k.prefix}…</code> : '—'}</td>
                  <td>{k.scopes.join(', ')}</td>
                  <td>
                    {formatDateTime(k.created_at)}
                    {k.created_by ? ` by ${actorLabel(k.created_by)}` : ''}
                  </td>
                  <td>{formatDateTime(k.last_used_at)}</td>
                  <td>
                    {k.revoked_at ? (
                      <span class="status failed">revoked {formatDateTime(k.revoked_at)}</span>
                    ) : (
                      <button
                        type="button"
                        class="danger"
                        onClick={() => revoke(k)}
                        aria-label={`Revoke ${k.name}`}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function Webhook() {
  const [url, setUrl] = useState<string | null | undefined>(undefined);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api.GET('/v1/webhook').then(({ data }) => {
      setUrl(data?.url ?? null);
      setDraft(data?.url ?? '');
    });
  }, []);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const { data, error: problem } = await api.PUT('/v1/webhook', { body: { url: draft.trim() } });
    if (data) {
      setUrl(data.url);
      setSaved(true);
    } else setError(problemText(problem));
  };
  const remove = async () => {
    const { error: problem } = await api.DELETE('/v1/webhook');
    if (problem) setError(problemText(problem));
    else {
      setUrl(null);
      setDraft('');
    }
  };
  return (
    <form class="panel" onSubmit={save} aria-label="Webhook">
      <p class="muted">KPI Hub posts to this URL when data changes. {url === null && 'None is set.'}</p>
      <label>
        Webhook URL
        <input
          type="url"
          name="webhook_url"
          class="wide"
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={!draft.trim()}>
        Save webhook
      </button>
      {url && (
        <button type="button" class="danger" onClick={remove}>
          Remove webhook
        </button>
      )}
      {saved && <p role="status">Saved.</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

export function AdminPage() {
  const { session } = useSession();
  if (!session.scopes.includes('admin')) {
    return (
      <section>
        <h1>Admin</h1>
        <p>
          This page needs a key with the <code>admin</code> scope; you signed in with “{session.key_name}” (
          {session.scopes.join(', ')}).
        </p>
      </section>
    );
  }
  return (
    <section>
      <h1>Admin</h1>
      <h2>API keys</h2>
      <Keys />
      <h2>Webhook</h2>
      <Webhook />
    </section>
  );
}
