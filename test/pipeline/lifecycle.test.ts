import { afterEach, describe, expect, it } from 'vitest';
import { topics } from '../../core/wire.js';
import { SqliteTelemetryStore } from '../../store/telemetry/sqlite.js';
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('platform lifecycle and device sessions', () => {
  let platform: TestPlatform | undefined;
  afterEach(async () => {
    await platform?.dispose();
    platform = undefined;
  });

  it('stops promptly while devices are connected, after acknowledging what it accepted', async () => {
    platform = await startTestPlatform();
    const client = await platform.connect('st-1', await platform.provision('st-1'));
    const ts = Date.now() - 1000;
    await client.publishAsync(topics.telemetry('st-1'), JSON.stringify({ ts, vibration_rms: 1 }), { qos: 1 });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const started = Date.now();
    await platform.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    await closed; // the broker ended the session itself

    const store = new SqliteTelemetryStore({ dir: platform.dataDir, retentionDays: 30 });
    await store.open();
    expect(await store.query({ device: 'st-1', from: ts, to: ts + 1, limit: 1 })).toHaveLength(1);
    await store.close();
  });

  it('takes in messages held back by the rate limit when it shuts down', async () => {
    platform = await startTestPlatform({ ingest: { deviceRateLimit: 1 } });
    const client = await platform.connect('rl-1', await platform.provision('rl-1'));
    const start = Date.now() - 60_000;
    for (let i = 0; i < 5; i++)
      client.publish(topics.telemetry('rl-1'), JSON.stringify({ ts: start + i, v: i }), { qos: 0 });
    await eventually(async () =>
      (await platform?.metrics.throttled.get())?.values[0]?.value ? true : undefined,
    );
    await platform.stop();
    const store = new SqliteTelemetryStore({ dir: platform.dataDir, retentionDays: 30 });
    await store.open();
    const points = await store.query({ device: 'rl-1', from: start, to: start + 5, limit: 10 });
    await store.close();
    expect(points.map((p) => p.values.v)).toEqual([0, 1, 2, 3, 4]);
  });

  it('ends the session of a removed device, and stores nothing more from it', async () => {
    platform = await startTestPlatform();
    const client = await platform.connect('rm-1', await platform.provision('rm-1'));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    expect((await platform.api('DELETE', '/api/devices/rm-1')).status).toBe(204);
    await closed;
    expect(await platform.telemetry.query({ device: 'rm-1', from: 0, to: Date.now() + 1, limit: 5 })).toEqual(
      [],
    );
  });

  it('ends sessions opened with a token that was rotated, also after the token was verified before', async () => {
    platform = await startTestPlatform();
    const old = await platform.provision('rt-1');
    const first = await platform.connect('rt-1', old);
    await first.endAsync();
    const session = await platform.connect('rt-1', old); // verified from the cache this time
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    const { body } = await platform.api<{ token: string }>('POST', '/api/devices/rt-1/token');
    await closed;
    await expect(platform.connect('rt-1', old)).rejects.toMatchObject({ code: 4 });
    expect((await platform.connect('rt-1', body.token)).connected).toBe(true);
  });

  it('keeps a device online while any of its sessions is open', async () => {
    platform = await startTestPlatform();
    const token = await platform.provision('two-1');
    const a = await platform.connect('two-1', token, { clientId: 'two-1-a' });
    await platform.connect('two-1', token, { clientId: 'two-1-b' });
    await a.endAsync();
    await new Promise((r) => setTimeout(r, 100));
    expect(platform.registry.get('two-1')?.online).toBe(true);
  });
});
