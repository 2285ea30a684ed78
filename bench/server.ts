/**
 * The servers under test, each in a process of its own bound to 127.0.0.1: `forewarn serve` (what the project
 * ships) and Debian's mosquitto (the baseline).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceLogin, Target } from './loadgen-protocol.js';
import {
  findExecutable,
  freePort,
  type ProcessGroup,
  type TrackedProcess,
  waitForPort,
} from './processes.js';
import { MetricsSnapshot } from './prometheus.js';
import { BENCH_MODEL } from './readings.js';

const CLI = join(import.meta.dirname, '../cli/main.js');
export const HOST = '127.0.0.1';
/** The admin token the benchmark servers accept (the variable requires at least 16 characters). */
const ADMIN_TOKEN = 'forewarn-bench-admin-token';
/** Rows per bulk import request. */
const IMPORT_CHUNK = 2000;

export interface ForewarnOptions {
  dataDir: string;
  store: 'sqlite' | 'influx';
  influxUrl?: string;
  /** Descriptor limit for the server when it must hold more connections than the inherited limit. */
  openFiles?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

export class ForewarnServer {
  private constructor(
    readonly process: TrackedProcess,
    readonly mqtt: Target,
    readonly httpPort: number,
  ) {}

  static async start(group: ProcessGroup, options: ForewarnOptions): Promise<ForewarnServer> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    mkdirSync(options.dataDir, { recursive: true });
    const node = [
      process.execPath,
      ...(options.nodeFlags ?? []),
      CLI,
      'serve',
      '--mqtt-port',
      '0',
      '--http-port',
      '0',
    ];
    const env = {
      ...process.env,
      FOREWARN_HOST: HOST,
      FOREWARN_DATA_DIR: options.dataDir,
      FOREWARN_ADMIN_TOKEN: ADMIN_TOKEN,
      FOREWARN_STORE: options.store,
      FOREWARN_DEVICE_RATE_LIMIT: '0', // load tests turn the per-device limit off
      FOREWARN_LOG_LEVEL: 'warn',
      ...(options.influxUrl ? { FOREWARN_INFLUX_URL: options.influxUrl } : {}),
    };
    // The data directory as working directory, so no forewarn.config.json of the checkout is picked up.
    const spawnOptions = { cwd: options.dataDir, env };
    const server = options.openFiles
      ? group.spawn(
          '/bin/sh',
          ['-c', `ulimit -n ${options.openFiles} && exec "$@"`, 'sh', ...node],
          spawnOptions,
        )
      : group.spawn(node[0], node.slice(1), spawnOptions);
    try {
      const [mqtt, http] = await server.waitForOutput(
        [/^MQTT\s+mqtt:\/\/[^:]+:(\d+)/m, /^HTTP API http:\/\/[^:]+:(\d+)/m],
        60_000,
      );
      const instance = new ForewarnServer(server, { host: HOST, port: Number(mqtt[1]) }, Number(http[1]));
      await instance.#waitHealthy(30_000);
      return instance;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  async #waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const res = await fetch(`http://${HOST}:${this.httpPort}/api/health`).catch(() => null);
      if (res?.status === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`forewarn did not report healthy within ${timeoutMs} ms`);
  }

  async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`http://${HOST}:${this.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Registers devices in bulk; returns their logins in the order given. */
  async provision(ids: readonly string[], model = BENCH_MODEL): Promise<DeviceLogin[]> {
    const logins: DeviceLogin[] = [];
    for (let i = 0; i < ids.length; i += IMPORT_CHUNK) {
      const rows = ids.slice(i, i + IMPORT_CHUNK).map((id) => ({ id, model }));
      const { results } = await this.api<{
        results: Array<{ row: number; id?: string; token?: string; error?: string }>;
      }>('POST', '/api/devices/import', rows);
      for (const result of results) {
        if (!result.token) throw new Error(`provisioning ${rows[result.row].id} failed: ${result.error}`);
        logins.push({ id: rows[result.row].id, token: result.token });
      }
    }
    return logins;
  }

  async metrics(): Promise<MetricsSnapshot> {
    const res = await fetch(`http://${HOST}:${this.httpPort}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
    return new MetricsSnapshot(await res.text());
  }

  stop(): Promise<void> {
    // Shutdown commits what was accepted; a loaded InfluxDB can take a while.
    return this.process.stop(30_000);
  }
}

/** Debian's mosquitto with a generated config: anonymous, no persistence, generous in-flight and queue limits. */
export class Mosquitto {
  private constructor(
    readonly process: TrackedProcess,
    readonly mqtt: Target,
  ) {}

  static available(): string | null {
    return findExecutable('mosquitto');
  }

  static async start(group: ProcessGroup, dir: string): Promise<Mosquitto> {
    const binary = Mosquitto.available();
    if (!binary) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
    mkdirSync(dir, { recursive: true });
    const port = await freePort(HOST);
    const config = join(dir, 'mosquitto.conf');
    writeFileSync(
      config,
      [
        `listener ${port} ${HOST}`,
        'allow_anonymous true',
        'persistence false',
        'max_inflight_messages 0',
        'max_queued_messages 0',
        'max_queued_bytes 0',
        'set_tcp_nodelay true',
        'log_dest stderr',
        'log_type error',
        '',
      ].join('\n'),
    );
    const broker = group.spawn(binary, ['-c', config]);
    try {
      await waitForPort(HOST, port, 10_000);
    } catch (error) {
      await broker.stop();
      throw new Error(`mosquitto did not start: ${(error as Error).message}\n${broker.stderr.slice(-1000)}`);
    }
    return new Mosquitto(broker, { host: HOST, port });
  }

  stop(): Promise<void> {
    return this.process.stop(5000);
  }
}
