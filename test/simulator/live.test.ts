import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/api-client.js';
import { FleetRun } from '../../simulator/file-run.js';
import { type LiveFleet, startLiveFleet } from '../../simulator/live.js';
import { provisionDevices } from '../../simulator/provision.js';
import { ADMIN_TOKEN, eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

const MINUTE = 60_000;

/** A TCP relay in front of the broker whose link can stall and break, like a flaky mobile network. */
class Relay {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private up = true;
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<Relay> {
    let relay: Relay | undefined;
    const server = createServer((client) => {
      if (!relay?.up) {
        client.destroy();
        return;
      }
      const upstream = tcpConnect(targetPort, '127.0.0.1');
      const pair = { client, upstream };
      relay.pairs.add(pair);
      for (const socket of [client, upstream]) {
        socket.on('error', () => undefined);
        socket.on('close', () => {
          relay?.pairs.delete(pair);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relay = new Relay(server, (server.address() as AddressInfo).port);
    return relay;
  }

  /** Packets from the devices vanish from now on: what they send stays unacknowledged. */
  stall(): void {
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      client.on('data', () => undefined);
    }
  }

  cut(): void {
    this.up = false;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('live mode', () => {
  let platform: TestPlatform;
  let api: ApiClient;
  const fleets: LiveFleet[] = [];

  beforeAll(async () => {
    platform = await startTestPlatform();
    api = new ApiClient(`http://127.0.0.1:${platform.httpPort}`, ADMIN_TOKEN);
  });
  afterAll(async () => {
    await Promise.all(fleets.map((fleet) => fleet.stop()));
    await platform.dispose();
  });

  const stored = async (device: string, from: number, to: number) =>
    platform.telemetry.query({ device, from, to, limit: 100_000 });

  it('provisions its devices through the API and delivers what file mode would write, through the broker into the store', async () => {
    const start = Math.floor((Date.now() - 40 * MINUTE) / 1000) * 1000;
    const options = { devices: 4, days: 40 / 1440, seed: 17, faulty: 0, idPrefix: 'live', start };
    const fleet = await startLiveFleet({
      ...options,
      brokerUrl: `mqtt://127.0.0.1:${platform.mqttPort}`,
      speed: 1200,
      tickMs: 100,
      credentials: (devices) => provisionDevices(devices, api),
    });
    fleets.push(fleet);
    const ids = fleet.plan.devices.map((device) => device.id);
    expect(platform.registry.list().filter((device) => ids.includes(device.id))).toHaveLength(4);
    await eventually(() => (ids.every((id) => platform.registry.get(id)?.online) ? true : undefined), 10_000);
    await eventually(() => {
      const s = fleet.stats();
      return s.caughtUp && s.pending === 0 && s.acknowledged === s.generated ? true : undefined;
    }, 20_000);
    const caughtUpAt = Date.now();
    await fleet.stop();
    await eventually(() =>
      ids.every((id) => platform.registry.get(id)?.online === false) ? true : undefined,
    );

    // The same options in file mode give the same readings, value for value.
    const file = new FleetRun(options);
    const text = Buffer.concat([...file.csv()]).toString();
    const header = text.slice(0, text.indexOf('\n')).split(',');
    for (const id of ids) {
      const points = await stored(id, start, Date.now());
      const last = points.at(-1)?.ts as number;
      expect(last).toBeGreaterThan(caughtUpAt - 3 * MINUTE);
      const expected = text
        .split('\n')
        .filter((line) => line.includes(`,${id},`))
        .map((line) => line.split(','))
        .filter((cells) => Date.parse(cells[0]) <= last);
      expect(points.length).toBe(expected.length);
      points.forEach((point, i) => {
        expect(point.ts).toBe(Date.parse(expected[i][0]));
        for (const [metric, value] of Object.entries(point.values)) {
          expect(value).toBe(Number(expected[i][header.indexOf(metric)]));
        }
      });
    }
  });

  it('is refused with a wrong token and keeps trying with backoff', async () => {
    const fleet = await startLiveFleet({
      devices: 2,
      days: 0.01,
      seed: 3,
      faulty: 0,
      idPrefix: 'badtoken',
      brokerUrl: `mqtt://127.0.0.1:${platform.mqttPort}`,
      speed: 60,
      backoffInitialMs: 100,
      credentials: async (devices) => {
        const tokens = await provisionDevices(devices, api);
        tokens.set(devices[1].id, 'not-the-token');
        return tokens;
      },
    });
    fleets.push(fleet);
    await eventually(() => (fleet.stats().authFailures >= 2 ? true : undefined), 10_000);
    const stats = fleet.stats();
    expect(stats.connected).toBe(1);
    expect(stats.reconnects).toBeGreaterThanOrEqual(2);
    expect(platform.registry.get(fleet.plan.devices[1].id)?.online).toBe(false);
    await fleet.stop();
  });

  it('buffers while the link is down, reconnects, flushes the buffer as arrays and loses nothing', async () => {
    const relay = await Relay.start(platform.mqttPort);
    try {
      const start = Math.floor((Date.now() - 30 * MINUTE) / 1000) * 1000;
      const fleet = await startLiveFleet({
        devices: 3,
        days: 30 / 1440,
        seed: 23,
        faulty: 0,
        idPrefix: 'flaky',
        start,
        brokerUrl: `mqtt://127.0.0.1:${relay.port}`,
        speed: 120,
        tickMs: 100,
        backoffInitialMs: 100,
        backoffMaxMs: 400,
        credentials: (devices) => provisionDevices(devices, api),
      });
      fleets.push(fleet);
      await eventually(
        () => (fleet.stats().connected === 3 && fleet.stats().acknowledged > 0 ? true : undefined),
        10_000,
      );
      const messagesAtStall = fleet.stats().messages;
      // First the link stalls, leaving messages unacknowledged; then it breaks.
      relay.stall();
      await new Promise((resolve) => setTimeout(resolve, 400));
      const stalled = fleet.stats();
      expect(stalled.messages).toBeGreaterThan(messagesAtStall);
      expect(stalled.acknowledged + stalled.pending).toBe(stalled.generated);
      relay.cut();
      await eventually(() => (fleet.stats().connected === 0 ? true : undefined));
      const messagesBefore = fleet.stats().messages;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const during = fleet.stats();
      expect(during.pending).toBeGreaterThan(3 * 10);
      relay.restore();
      await eventually(() => {
        const s = fleet.stats();
        return s.connected === 3 && s.pending === 0 ? true : undefined;
      }, 10_000);
      const after = fleet.stats();
      expect(after.reconnects).toBeGreaterThanOrEqual(3);
      // The backlog went out as arrays, many readings to a message.
      expect(after.acknowledged - during.acknowledged).toBeGreaterThan(2 * (after.messages - messagesBefore));
      await fleet.stop();
      const final = fleet.stats();
      expect(final.dropped).toBe(0);
      expect(final.pending).toBe(0);
      let total = 0;
      for (const device of fleet.plan.devices) {
        const points = await stored(device.id, start, Date.now());
        total += points.length;
        // Every reading from the first on, one per interval, no gap.
        expect(points.map((point) => point.ts)).toEqual(
          points.map((_, i) => start + device.phaseMs + i * fleet.plan.intervalMs),
        );
      }
      expect(total).toBe(final.generated);
    } finally {
      await relay.close();
    }
  });

  it('takes a device off the network during an offline fault: the will marks it offline, then it returns', async () => {
    const start = Math.floor((Date.now() - 40 * MINUTE) / 1000) * 1000;
    const changes: Array<{ online: boolean; at: number }> = [];
    const fleet = await startLiveFleet({
      devices: 2,
      days: 40 / 1440,
      seed: 31,
      idPrefix: 'power',
      start,
      faults: [{ device: 0, kind: 'offline', onset: start + 8 * MINUTE, spanMs: 12 * MINUTE }],
      brokerUrl: `mqtt://127.0.0.1:${platform.mqttPort}`,
      speed: 800,
      tickMs: 100,
      backoffInitialMs: 100,
      credentials: (devices) => provisionDevices(devices, api),
    });
    fleets.push(fleet);
    const id = fleet.plan.devices[0].id;
    const off = platform.bus.on('deviceAvailability', (change) => {
      if (change.device === id) changes.push(change);
    });
    await eventually(
      () => (fleet.stats().caughtUp && fleet.stats().pending === 0 ? true : undefined),
      15_000,
    );
    await fleet.stop();
    off();
    expect(changes.map((change) => change.online).slice(0, 3)).toEqual([true, false, true]);
    const points = await stored(id, start, Date.now());
    const inWindow = points.filter(
      (point) => point.ts >= start + 8 * MINUTE && point.ts < start + 20 * MINUTE,
    );
    expect(inWindow).toHaveLength(0);
    expect(points.filter((point) => point.ts < start + 8 * MINUTE).length).toBeGreaterThan(40);
    expect(points.filter((point) => point.ts >= start + 20 * MINUTE).length).toBeGreaterThan(100);
    expect(fleet.truth().faults).toEqual([
      expect.objectContaining({ device: id, kind: 'offline', category: 'data_quality', failure: null }),
    ]);
  });

  it('drops the oldest readings when an outage outlasts the buffer, and counts them', async () => {
    const relay = await Relay.start(platform.mqttPort);
    try {
      const start = Math.floor((Date.now() - 30 * MINUTE) / 1000) * 1000;
      const fleet = await startLiveFleet({
        devices: 1,
        days: 30 / 1440,
        seed: 29,
        faulty: 0,
        idPrefix: 'tiny-buffer',
        start,
        brokerUrl: `mqtt://127.0.0.1:${relay.port}`,
        speed: 120,
        tickMs: 100,
        backoffInitialMs: 100,
        backoffMaxMs: 200,
        maxBufferedReadings: 5,
        credentials: (devices) => provisionDevices(devices, api),
      });
      fleets.push(fleet);
      await eventually(() => (fleet.stats().acknowledged > 0 ? true : undefined), 10_000);
      relay.cut();
      const cutAt = fleet.stats().simulatedTime;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      relay.restore();
      await eventually(
        () => (fleet.stats().connected === 1 && fleet.stats().pending === 0 ? true : undefined),
        10_000,
      );
      const stats = fleet.stats();
      expect(stats.dropped).toBeGreaterThan(0);
      await fleet.stop();
      const device = fleet.plan.devices[0];
      const points = await stored(device.id, start, stats.simulatedTime + 1);
      expect(points.length).toBe(stats.generated - stats.dropped);
      // What is missing lies in the outage, and the newest readings of it survived.
      const gaps = points.filter((point, i) => i > 0 && point.ts - points[i - 1].ts > fleet.plan.intervalMs);
      expect(gaps).toHaveLength(1);
      expect(gaps[0].ts).toBeGreaterThan(cutAt);
    } finally {
      await relay.close();
    }
  });
});
