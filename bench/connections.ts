/**
 * Idle connections: how much server memory each connected device costs, and how fast devices can connect, the
 * first time (the token's slow hash is verified) and again (the platform remembers a verified token).
 */
import { join } from 'node:path';
import { deviceIds } from './ingest.js';
import { Loadgen } from './loadgen-client.js';
import type { ConnectReply } from './loadgen-protocol.js';
import { fileLimits } from './processes.js';
import { ForewarnServer } from './server.js';
import { type Benchmark, check, type Measurement } from './types.js';

const CONNECTED_METRIC = 'forewarn_mqtt_connected_devices';
/** Descriptors a process needs beyond one per connection (files, pipes, listeners). */
const SPARE_FILES = 512;
const SETTLE_MS = 2000;
/** The number of connections the memory target is stated at: fixed costs dominate a smaller count. */
const STATED_CONNECTIONS = 10_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitConnected(server: ForewarnServer, expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await server.metrics()).sum(CONNECTED_METRIC) !== expected) {
    if (Date.now() > deadline)
      throw new Error(`the server did not report ${expected} connected devices in time`);
    await sleep(100);
  }
}

function connectFigures(reply: ConnectReply) {
  return {
    connected: reply.connected,
    perSecond: reply.connected / (reply.elapsedMs / 1000),
    seconds: reply.elapsedMs / 1000,
  };
}

export const connectionsBenchmark: Benchmark = {
  name: 'connections',
  title: 'Idle connections: server memory per connected device and connect rate',
  columns: [
    { key: 'connections', label: 'connections' },
    { key: 'bytesPerConnection', label: 'bytes/conn' },
    { key: 'rssBeforeMiB', label: 'RSS before MiB', digits: 1 },
    { key: 'rssAfterMiB', label: 'RSS after MiB', digits: 1 },
    { key: 'firstConnectPerSecond', label: 'first connects/s' },
    { key: 'reconnectPerSecond', label: 'reconnects/s' },
    { key: 'concurrency', label: 'concurrency' },
  ],

  async run(context): Promise<Measurement> {
    const { count: wanted, concurrency } = context.scale.connections;
    const notes: string[] = [];
    const limits = fileLimits();
    const needed = wanted + SPARE_FILES;
    let count = wanted;
    if (limits.hard < needed) {
      count = Math.max(1, limits.hard - SPARE_FILES);
      notes.push(
        `open-file limit ${limits.hard} allows only ${count} of ${wanted} connections (raise ulimit -Hn)`,
      );
    }
    const openFiles = limits.soft < count + SPARE_FILES ? count + SPARE_FILES : undefined;
    const server = await ForewarnServer.start(context.group, {
      dataDir: join(context.workDir, 'forewarn'),
      store: 'sqlite',
      openFiles,
      nodeFlags: context.serverNodeFlags,
    });
    const loadgen = Loadgen.start(context.group, openFiles);
    context.progress(`provisioning ${count} devices`);
    const logins = await server.provision(deviceIds(count, 'idle'));
    const connect = () =>
      loadgen.connect({
        target: server.mqtt,
        devices: logins,
        concurrency,
        keepalive: 0,
        timeoutMs: 300_000,
      });

    await sleep(SETTLE_MS);
    const rssBefore = server.process.rssBytes();
    context.progress(`connecting ${count} devices`);
    const first = connectFigures(await connect());
    if (first.connected < count) throw new Error(`only ${first.connected} of ${count} devices could connect`);
    await waitConnected(server, count, 30_000);
    await sleep(SETTLE_MS);
    const rssAfter = server.process.rssBytes();

    await loadgen.disconnect();
    await waitConnected(server, 0, 30_000);
    context.progress(`reconnecting ${count} devices`);
    const again = connectFigures(await connect());
    await loadgen.disconnect();
    await Promise.all([loadgen.stop(), server.stop()]);

    notes.push(
      'memory is the growth of the server process RSS (/proc/<pid>/status) with all devices connected and idle',
    );
    notes.push('first connects verify each token with scrypt; reconnects hit the cache of verified tokens');
    return {
      rows: [
        {
          connections: count,
          bytesPerConnection: (rssAfter - rssBefore) / count,
          rssBeforeMiB: rssBefore / 2 ** 20,
          rssAfterMiB: rssAfter / 2 ** 20,
          firstConnectPerSecond: first.perSecond,
          reconnectPerSecond: again.perSecond,
          concurrency,
        },
      ],
      notes,
      details: { first, again, openFiles: limits },
    };
  },

  targets(rows) {
    const row = rows[0];
    const stated = row?.connections === STATED_CONNECTIONS ? undefined : '10,000 connections';
    return [check('memory per idle connection, bytes', row?.bytesPerConnection, '<=', 20 * 1024, stated)];
  },
};
