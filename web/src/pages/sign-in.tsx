import { useState } from 'preact/hooks';
import { api, problemText, type Session } from '../api/client';

export function SignInPage(props: { onSignedIn(session: Session): void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    // The key goes to the server once, in the body; the answer sets an HttpOnly cookie and
    // the key is forgotten here (it is never put in storage or a URL).
    const { data, error: problem } = await api.POST('/v1/session', { body: { api_key: key.trim() } });
    setBusy(false);
    setKey('');
    if (data) props.onSignedIn(data);
    else setError(problemText(problem));
  };

  return (
    <section class="sign-in">
      <h1>Sign in to KPI Hub</h1>
      <p>
        Paste an API key. <code>npm start</code> prints one the first time it runs; an admin can make more on
        the Admin page.
      </p>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api_key"
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
