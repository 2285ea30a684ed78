/**
 * Starts a real InfluxDB 1.x server (/usr/bin/influxd) for integration tests and benchmarks: a generated
 * config in a temporary directory, loopback-only on free ports, nothing but the HTTP API enabled.
 * Free of test-framework imports so that benchmarks can use it as well.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INFLUXD = '/usr/bin/influxd';

/** A running influxd; `url` has no database path. */
export interface RunningInfluxd {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

export interface StartInfluxdOptions {
  /** The server binary. */
  binary?: string;
  /** How long to wait for /ping to answer. */
  readyTimeoutMs?: number;
}

const STDERR_TAIL_BYTES = 4096;
/** Another process may take a free port between our probe and influxd's bind; try again with new ones. */
const BIND_ATTEMPTS = 3;

/** Two distinct ports that were free a moment ago on 127.0.0.1. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address for a probe socket');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  trace-logging-enabled = false

[retention]
  enabled = true

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "error"
  suppress-logo = true

[continuous_queries]
  enabled = false
  log-enabled = false
`;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited(child);
  clearTimeout(killer);
}

/** Is /ping answering 204? */
async function pings(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return response.status === 204;
  } catch {
    return false;
  }
}

/** Launches influxd and resolves once it answers /ping; rejects with its stderr if it does not. */
export async function startInfluxd(options: StartInfluxdOptions = {}): Promise<RunningInfluxd> {
  const binary = options.binary ?? INFLUXD;
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} not found: InfluxDB 1.x is needed here; install it with \`apt-get install influxdb\``,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'forewarn-influxd-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const [httpPort, rpcPort] = await freePorts(2);
      const configFile = join(dir, 'influxdb.conf');
      await writeFile(configFile, config(dir, httpPort, rpcPort));
      const child = spawn(binary, ['run', '-config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (text: string) => {
        stderr = (stderr + text).slice(-STDERR_TAIL_BYTES);
      });
      const url = `http://127.0.0.1:${httpPort}`;
      const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        if (await pings(url)) {
          return {
            url,
            stop: async () => {
              await stopChild(child);
              await rm(dir, { recursive: true, force: true });
            },
          };
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const died = child.exitCode !== null || child.signalCode !== null;
      await stopChild(child);
      if (died && /address already in use/.test(stderr) && attempt < BIND_ATTEMPTS) continue;
      throw new Error(
        `influxd ${died ? `exited (${child.exitCode ?? child.signalCode})` : 'did not answer /ping in time'}; stderr:\n${stderr.trim() || '(empty)'}`,
      );
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
