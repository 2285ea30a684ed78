import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { ConfigInput } from '../../core/config.js';
import { type Platform, type StartOptions, startPlatform } from '../../core/platform.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestPlatform extends Platform {
  dataDir: string;
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: T }>;
  provision(id: string, model?: string): Promise<string>;
  connect(id: string, token: string, options?: IClientOptions): Promise<MqttClient>;
  /** Stops the platform and removes its data directory. */
  dispose(): Promise<void>;
}

/** A real platform on free ports with a fresh data directory. */
export async function startTestPlatform(
  overrides: ConfigInput = {},
  options: StartOptions = {},
): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'forewarn-test-'));
  const platform = await startPlatform(
    {
      dataDir,
      logLevel: 'silent',
      adminToken: ADMIN_TOKEN,
      ...overrides,
      mqtt: { port: 0, ...overrides.mqtt },
      http: { port: 0, ...overrides.http },
    },
    options,
  );
  const clients: MqttClient[] = [];
  const api: TestPlatform['api'] = async (method, path, body, token = ADMIN_TOKEN) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`http://127.0.0.1:${platform.httpPort}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never };
  };
  return {
    ...platform,
    dataDir,
    api,
    async provision(id, model = 'AC-2000') {
      const res = await api<{ token: string }>('POST', '/api/devices', { id, model });
      if (res.status !== 201) throw new Error(`provisioning ${id} failed: ${JSON.stringify(res.body)}`);
      return res.body.token;
    },
    async connect(id, token, options = {}) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${platform.mqttPort}`, {
        clientId: id,
        username: id,
        password: token,
        reconnectPeriod: 0,
        ...options,
      });
      clients.push(client);
      return client;
    },
    async dispose() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
