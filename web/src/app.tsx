import { useEffect, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { api, onSignedOut, type Session } from './api/client';
import { AdminPage } from './pages/admin';
import { AnalyticsPage } from './pages/analytics';
import { ImportsPage } from './pages/imports';
import { MetricPage } from './pages/metric';
import { OverviewPage } from './pages/overview';
import { SignInPage } from './pages/sign-in';
import { SessionContext } from './session';

// The pages (the server answers index.html for the same paths, src/http/web.ts).
const NAV = [
  ['/', 'Overview'],
  ['/imports', 'Imports'],
  ['/analytics', 'Analytics'],
  ['/admin', 'Admin'],
] as const;

function Shell(props: { session: Session; onSignOut(): Promise<void> }) {
  const { path } = useLocation();
  return (
    <SessionContext.Provider value={{ session: props.session, signOut: props.onSignOut }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          KPI Hub
        </a>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <a
              key={href}
              href={href}
              aria-current={
                (href === '/' ? path === '/' || path.startsWith('/metric/') : path === href)
                  ? 'page'
                  : undefined
              }
            >
              {label}
            </a>
          ))}
        </nav>
        <span class="who" title={`Key: ${props.session.key_name}`}>
          {props.session.org_name}
        </span>
        <button type="button" class="secondary" onClick={() => props.onSignOut()}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Router>
          <Route path="/" component={OverviewPage} />
          <Route path="/metric/:id" component={MetricPage} />
          <Route path="/imports" component={ImportsPage} />
          <Route path="/analytics" component={AnalyticsPage} />
          <Route path="/admin" component={AdminPage} />
          <Route default component={OverviewPage} />
        </Router>
      </main>
    </SessionContext.Provider>
  );
}

function Gate() {
  const { path, route } = useLocation();
  // undefined: still asking the server who is signed in.
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  useEffect(() => {
    onSignedOut(() => setSession(null));
    api.GET('/v1/session').then(({ data }) => setSession(data ?? null));
  }, []);

  useEffect(() => {
    if (session === null && path !== '/sign-in') route('/sign-in', true);
    if (session && path === '/sign-in') route('/', true);
  }, [session, path]);

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null || path === '/sign-in') {
    return (
      <main id="main">
        <SignInPage onSignedIn={(s) => setSession(s)} />
      </main>
    );
  }
  const signOut = async () => {
    await api.DELETE('/v1/session');
    setSession(null);
  };
  return <Shell session={session} onSignOut={signOut} />;
}

export function App() {
  return (
    <LocationProvider>
      <Gate />
    </LocationProvider>
  );
}
