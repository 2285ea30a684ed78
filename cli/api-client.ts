/** A small client for the platform's HTTP API, for CLI commands that manage a running server. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  /** From --api/--token, else FOREWARN_API_URL / FOREWARN_HOST + FOREWARN_HTTP_PORT and FOREWARN_ADMIN_TOKEN. */
  static fromEnvironment(
    flags: { api?: string; token?: string },
    env: NodeJS.ProcessEnv = process.env,
  ): ApiClient {
    const base =
      flags.api ??
      env.FOREWARN_API_URL ??
      `http://${env.FOREWARN_HOST ?? '127.0.0.1'}:${env.FOREWARN_HTTP_PORT ?? '8080'}`;
    return new ApiClient(base.replace(/\/+$/, ''), flags.token ?? env.FOREWARN_ADMIN_TOKEN);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new Error(
        `cannot reach the Forewarn API at ${this.baseUrl} (${(error as Error).cause ?? error}); is the server running? Set --api or FOREWARN_API_URL.`,
      );
    }
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
}
