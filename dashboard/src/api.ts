/** A thin client for the platform's HTTP API: Bearer token in, JSON or a readable error out. */

/** The API refused the token (HTTP 401): the person has to sign in again. */
export class AuthError extends Error {
  override name = 'AuthError';
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Fetcher = <T>(path: string) => Promise<T>;

async function request(path: string, token: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  } catch {
    throw new ApiError(0, 'the server cannot be reached; retrying');
  }
  if (response.ok) return response;
  const message = await response
    .json()
    .then((body: { error?: string }) => body.error)
    .catch(() => undefined);
  if (response.status === 401) throw new AuthError(message ?? 'the token was refused');
  throw new ApiError(response.status, message ?? `${response.status} ${response.statusText}`);
}

/** A JSON fetcher bound to one token. */
export function jsonFetcher(token: string): Fetcher {
  return async <T>(path: string) => (await request(path, token)).json() as Promise<T>;
}

/** The Prometheus text at /metrics. */
export async function fetchMetricsText(token: string): Promise<string> {
  return (await request('/metrics', token)).text();
}
