import { useEffect, useState } from 'react';

/** The views, addressed by the fragment: `#/`, `#/devices/<id>`, `#/tickets`, `#/tickets/<id>`, `#/ingest`. */
export type Route =
  | { view: 'overview' }
  | { view: 'device'; id: string }
  | { view: 'tickets' }
  | { view: 'ticket'; id: string }
  | { view: 'ingest' };

export function parseRoute(hash: string): Route {
  const [first, second] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (first === 'devices' && second) return { view: 'device', id: second };
  if (first === 'tickets') return second ? { view: 'ticket', id: second } : { view: 'tickets' };
  if (first === 'ingest') return { view: 'ingest' };
  return { view: 'overview' };
}

export const href = {
  overview: '#/',
  device: (id: string) => `#/devices/${encodeURIComponent(id)}`,
  tickets: '#/tickets',
  ticket: (id: string) => `#/tickets/${encodeURIComponent(id)}`,
  ingest: '#/ingest',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
