import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { topics } from '../../core/wire.js';
import { ADMIN_TOKEN } from '../support/platform.js';

const CLI = join(import.meta.dirname, '../../dist/cli/main.js');

interface Server {
  child: ChildProcess;
  mqttPort: number;
  httpPort: number;
}

/** `forewarn serve` as a child process on free ports; resolves once it printed its URLs. */
function serve(dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'serve', '--mqtt-port', '0', '--http-port', '0'], {
    env: {
      ...process.env,
      FOREWARN_DATA_DIR: dataDir,
      FOREWARN_ADMIN_TOKEN: ADMIN_TOKEN,
      FOREWARN_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c) => {
    err += c;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${err}`)), 15_000);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${err}`)));
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const mqttPort = /mqtt:\/\/[^:]+:(\d+)/.exec(out)?.[1];
      const httpPort = /http:\/\/[^:]+:(\d+)/.exec(out)?.[1];
      if (mqttPort && httpPort) {
        clearTimeout(timer);
        resolve({ child, mqttPort: Number(mqttPort), httpPort: Number(httpPort) });
      }
    });
  });
}

const api = (server: Server, method: string, path: string, body?: unknown) =>
  fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then((r) => r.json());

describe('durability', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'forewarn-durability-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every reading whose PUBACK the device got survives kill -9 of the server, stored once', async () => {
    const first = await serve(dataDir);
    children.push(first.child);
    const { token } = (await api(first, 'POST', '/api/devices', { id: 'dur-1', model: 'PU-55' })) as {
      token: string;
    };
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${first.mqttPort}`, {
      username: 'dur-1',
      password: token,
      reconnectPeriod: 0,
    });

    const N = 3000;
    const start = Date.now() - N * 10;
    const acked: number[] = [];
    const window = 200; // in-flight QoS 1 messages
    let next = 0;
    await Promise.all(
      Array.from({ length: window }, async () => {
        while (next < N) {
          const i = next++;
          await client.publishAsync(
            topics.telemetry('dur-1'),
            JSON.stringify({ ts: start + i * 10, current_a: i }),
            { qos: 1 },
          );
          acked.push(i);
        }
      }),
    );
    expect(acked).toHaveLength(N);
    first.child.kill('SIGKILL');
    client.end(true);
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await serve(dataDir);
    children.push(second.child);
    const body = (await api(
      second,
      'GET',
      `/api/devices/dur-1/telemetry?from=${start}&to=${start + N * 10}&limit=100000`,
    )) as {
      points: Array<{ ts: string; current_a: number }>;
    };
    const values = body.points.map((p) => p.current_a);
    expect(values).toHaveLength(N);
    expect(values).toEqual(Array.from({ length: N }, (_, i) => i));
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  });
});
