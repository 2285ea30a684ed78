import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../core/wire.js';
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

type Points = { device: string; points: Array<Record<string, number | string>> };

describe('telemetry pipeline over MQTT', () => {
  let platform: TestPlatform;
  const t0 = Date.now() - 60_000;

  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(() => platform.dispose());

  const readBack = async (device: string, minPoints: number) =>
    eventually(async () => {
      const res = await platform.api<Points>(
        'GET',
        `/api/devices/${device}/telemetry?from=${t0 - 3_600_000}&to=${Date.now() + 60_000}`,
      );
      return res.body.points.length >= minPoints ? res.body.points : undefined;
    });

  it('stores QoS 0 and QoS 1 readings, single and array payloads, and serves them back in time order', async () => {
    const token = await platform.provision('ac-1');
    const client = await platform.connect('ac-1', token);
    await client.publishAsync(
      topics.telemetry('ac-1'),
      JSON.stringify({ ts: t0, vibration_rms: 0.61, temperature_c: 41.5 }),
      { qos: 0 },
    );
    await client.publishAsync(
      topics.telemetry('ac-1'),
      JSON.stringify({ ts: new Date(t0 + 10_000).toISOString(), vibration_rms: 0.62 }),
      { qos: 1 },
    );
    await client.publishAsync(
      topics.telemetry('ac-1'),
      JSON.stringify([
        { ts: t0 + 30_000, vibration_rms: 0.64, temperature_c: 42 },
        { ts: t0 + 20_000, vibration_rms: 0.63, temperature_c: 41.75 },
      ]),
      { qos: 1 },
    );
    const points = await readBack('ac-1', 4);
    expect(points).toEqual([
      { ts: new Date(t0).toISOString(), vibration_rms: 0.61, temperature_c: 41.5 },
      { ts: new Date(t0 + 10_000).toISOString(), vibration_rms: 0.62 },
      { ts: new Date(t0 + 20_000).toISOString(), vibration_rms: 0.63, temperature_c: 41.75 },
      { ts: new Date(t0 + 30_000).toISOString(), vibration_rms: 0.64, temperature_c: 42 },
    ]);
  });

  it('stores a redelivered reading once', async () => {
    const token = await platform.provision('ac-dup');
    const client = await platform.connect('ac-dup', token);
    const payload = JSON.stringify({ ts: t0, vibration_rms: 1.5 });
    for (let i = 0; i < 3; i++) await client.publishAsync(topics.telemetry('ac-dup'), payload, { qos: 1 });
    await client.publishAsync(
      topics.telemetry('ac-dup'),
      JSON.stringify({ ts: t0 + 1, vibration_rms: 1.6 }),
      { qos: 1 },
    );
    const points = await readBack('ac-dup', 2);
    expect(points.map((p) => p.vibration_rms)).toEqual([1.5, 1.6]);
  });

  it('refuses an unknown device and a wrong token at CONNECT', async () => {
    await platform.provision('ac-auth');
    const url = `mqtt://127.0.0.1:${platform.mqttPort}`;
    for (const [username, password] of [
      ['ac-auth', 'wrong-token'],
      ['nobody', 'whatever'],
    ]) {
      const error = await mqtt
        .connectAsync(url, { username, password, reconnectPeriod: 0 })
        .then((c) => c.endAsync().then(() => undefined))
        .catch((e: { code?: number }) => e);
      expect(error).toMatchObject({ code: 4 }); // CONNACK: bad user name or password
    }
    expect(await platform.metrics.authFailures.get()).toMatchObject({ values: [{ value: 2 }] });
  });

  it('refuses publishing to another device, stores nothing, counts it; subscriptions outside cmd/ get 0x80', async () => {
    const tokenA = await platform.provision('acl-a');
    await platform.provision('acl-b');
    const a = await platform.connect('acl-a', tokenA);
    expect(await a.subscribeAsync('fleet/acl-a/cmd/#')).toEqual([{ topic: 'fleet/acl-a/cmd/#', qos: 0 }]);
    for (const refused of ['fleet/acl-b/cmd/#', 'fleet/#']) {
      await expect(a.subscribeAsync(refused)).rejects.toMatchObject({ packet: { granted: [128] } }); // SUBACK failure
    }
    expect(a.connected).toBe(true);
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.publish(topics.telemetry('acl-b'), JSON.stringify({ ts: t0, vibration_rms: 9 }), { qos: 1 });
    await closed; // MQTT 3.1.1 has no negative PUBACK: the broker closes the connection
    const refusals = await platform.metrics.aclRefusals.get();
    expect(refusals.values).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { action: 'publish' }, value: 1 }),
        expect.objectContaining({ labels: { action: 'subscribe' }, value: 2 }),
      ]),
    );
    await platform.ingest.drain();
    const res = await platform.api<Points>('GET', `/api/devices/acl-b/telemetry?from=0`);
    expect(res.body.points).toEqual([]);
  });

  it('tracks availability from connections and the retained status / last will', async () => {
    const token = await platform.provision('ac-status');
    const client = await platform.connect('ac-status', token, {
      will: { topic: topics.status('ac-status'), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await eventually(async () =>
      (await platform.api<{ online: boolean }>('GET', '/api/devices/ac-status')).body.online
        ? true
        : undefined,
    );
    await client.publishAsync(topics.status('ac-status'), 'offline', { qos: 1, retain: true });
    await eventually(async () =>
      (await platform.api<{ online: boolean }>('GET', '/api/devices/ac-status')).body.online
        ? undefined
        : true,
    );
    await client.publishAsync(topics.status('ac-status'), 'online', { qos: 1, retain: true });
    await eventually(async () =>
      (await platform.api<{ online: boolean }>('GET', '/api/devices/ac-status')).body.online
        ? true
        : undefined,
    );
    client.stream.destroy(); // abrupt loss: the will says offline
    const device = await eventually(async () => {
      const res = await platform.api<{ online: boolean; lastSeenAt: string | null }>(
        'GET',
        '/api/devices/ac-status',
      );
      return res.body.online ? undefined : res.body;
    });
    expect(device.lastSeenAt).not.toBeNull();
  });

  it('accepts MQTT over WebSocket at /mqtt', async () => {
    const token = await platform.provision('ac-ws');
    const client = await mqtt.connectAsync(`ws://127.0.0.1:${platform.httpPort}/mqtt`, {
      username: 'ac-ws',
      password: token,
      reconnectPeriod: 0,
    });
    await client.publishAsync(topics.telemetry('ac-ws'), JSON.stringify({ ts: t0, vibration_rms: 0.7 }), {
      qos: 1,
    });
    await client.endAsync();
    expect((await readBack('ac-ws', 1))[0].vibration_rms).toBe(0.7);
  });

  it('passes readings that are stored on to the event bus', async () => {
    const token = await platform.provision('ac-bus');
    const seen: number[] = [];
    const off = platform.bus.on('readingsStored', (batch) => {
      for (const r of batch.readings) if (r.device === 'ac-bus') seen.push(r.metrics.vibration_rms);
    });
    const client = await platform.connect('ac-bus', token);
    await client.publishAsync(
      topics.telemetry('ac-bus'),
      JSON.stringify([
        { ts: t0, vibration_rms: 1 },
        { ts: t0 + 1, vibration_rms: 2 },
      ]),
      { qos: 1 },
    );
    // QoS 1: the PUBACK came after the commit, and the bus event fires right after the commit
    expect(seen).toEqual([1, 2]);
    off();
  });
});
