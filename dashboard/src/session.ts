import { createContext, useContext, useEffect } from 'react';
import { AuthError, type Fetcher } from './api.js';
import { type Polled, usePoll } from './poll.js';

/** The signed-in person's access to the API. */
export interface Session {
  token: string;
  /** GETs a JSON path of the API with the token. */
  get: Fetcher;
  /** Forgets the token and shows the sign-in form with `message`. */
  signOut(message?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in view');
  return session;
}

/** Polls an API call; a refused token signs the person out with the server's reason. */
export function useApi<T>(
  load: (session: Session) => Promise<T>,
  key: string,
  intervalMs?: number,
): Polled<T> {
  const session = useSession();
  const polled = usePoll(() => load(session), key, intervalMs);
  const { error } = polled;
  useEffect(() => {
    if (error instanceof AuthError) session.signOut(`The server refused the token (401): ${error.message}.`);
  }, [error, session]);
  return polled;
}
