import { type FormEvent, useCallback, useMemo, useState } from 'react';
import { jsonFetcher } from './api.js';
import { captureToken, forgetToken, saveToken } from './auth.js';
import { href, type Route, useRoute } from './route.js';
import { type Session, SessionContext } from './session.js';
import { DeviceDetail } from './views/DeviceDetail.js';
import { Ingest } from './views/Ingest.js';
import { Overview } from './views/Overview.js';
import { TicketDetail } from './views/TicketDetail.js';
import { Tickets } from './views/Tickets.js';

const NAV: { label: string; target: string; views: Route['view'][] }[] = [
  { label: 'Fleet', target: href.overview, views: ['overview', 'device'] },
  { label: 'Tickets', target: href.tickets, views: ['tickets', 'ticket'] },
  { label: 'Ingest', target: href.ingest, views: ['ingest'] },
];

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'overview':
      return <Overview />;
    case 'device':
      return <DeviceDetail key={route.id} id={route.id} />;
    case 'tickets':
      return <Tickets />;
    case 'ticket':
      return <TicketDetail key={route.id} id={route.id} />;
    case 'ingest':
      return <Ingest />;
  }
}

export function App() {
  const [token, setToken] = useState(captureToken);
  const [message, setMessage] = useState<string | undefined>();
  const route = useRoute();

  const signOut = useCallback((reason?: string) => {
    forgetToken();
    setToken(null);
    setMessage(reason);
  }, []);
  const session = useMemo<Session | null>(
    () => (token ? { token, get: jsonFetcher(token), signOut } : null),
    [token, signOut],
  );

  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href={href.overview}>
          <span className="brand-mark" aria-hidden="true" />
          Forewarn
        </a>
        {session && (
          <nav className="nav">
            {NAV.map((item) => (
              <a
                key={item.label}
                href={item.target}
                className={item.views.includes(route.view) ? 'active' : undefined}
                aria-current={item.views.includes(route.view) ? 'page' : undefined}
              >
                {item.label}
              </a>
            ))}
          </nav>
        )}
        {session && (
          <button type="button" className="signout" onClick={() => signOut()}>
            Sign out
          </button>
        )}
      </header>
      <main className="content">
        {session ? (
          <SessionContext.Provider value={session}>
            <View route={route} />
          </SessionContext.Provider>
        ) : (
          <SignIn
            message={message}
            onToken={(entered) => {
              saveToken(entered);
              setMessage(undefined);
              setToken(entered.trim());
            }}
          />
        )}
      </main>
    </div>
  );
}

function SignIn({ message, onToken }: { message: string | undefined; onToken: (token: string) => void }) {
  const [entered, setEntered] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (entered.trim()) onToken(entered);
  };
  return (
    <form className="signin panel" onSubmit={submit}>
      <h1>Sign in</h1>
      {message && (
        <div className="notice notice-error" role="alert" data-testid="auth-error">
          {message} Enter a valid admin token.
        </div>
      )}
      <p className="muted">
        The dashboard reads the platform's HTTP API with an admin token: the one in{' '}
        <code>FOREWARN_ADMIN_TOKEN</code>, or the one the server printed at its first start.{' '}
        <code>npm run demo</code> prints a link that signs in directly.
      </p>
      <label>
        Admin token
        <input
          type="password"
          autoComplete="current-password"
          value={entered}
          onChange={(e) => setEntered(e.target.value)}
          required
        />
      </label>
      <button type="submit" className="primary">
        Sign in
      </button>
    </form>
  );
}
