import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../core/wire.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('MQTT over TLS and MQTT 5 on the running platform', () => {
  let platform: TestPlatform;
  const certDir = mkdtempSync(join(tmpdir(), 'forewarn-tls-'));
  const certFile = join(certDir, 'cert.pem');
  const keyFile = join(certDir, 'key.pem');

  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    platform = await startTestPlatform({ mqtt: { tls: { port: 0, certFile, keyFile } } });
  });
  afterAll(async () => {
    await platform.dispose();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('accepts devices over TLS with the same credentials, and refuses a wrong token there too', async () => {
    const token = await platform.provision('tls-1');
    const options = { username: 'tls-1', reconnectPeriod: 0, ca: readFileSync(certFile) };
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${platform.mqttTlsPort}`, {
      ...options,
      password: token,
    });
    const ts = Date.now() - 1000;
    await client.publishAsync(topics.telemetry('tls-1'), JSON.stringify({ ts, vibration_rms: 0.9 }), {
      qos: 1,
    });
    await client.endAsync();
    expect(await platform.telemetry.query({ device: 'tls-1', from: ts, to: ts + 1, limit: 1 })).toEqual([
      { ts, values: { vibration_rms: 0.9 } },
    ]);
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${platform.mqttTlsPort}`, { ...options, password: 'wrong' }),
    ).rejects.toMatchObject({ code: 4 });
  });

  it('serves MQTT 5 clients: telemetry is stored, and a refused publish gets reason 0x87 without losing the connection', async () => {
    const token = await platform.provision('v5-1');
    await platform.provision('v5-2');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${platform.mqttPort}`, {
      protocolVersion: 5,
      username: 'v5-1',
      password: token,
      reconnectPeriod: 0,
    });
    const ts = Date.now() - 1000;
    await client.publishAsync(topics.telemetry('v5-1'), JSON.stringify([{ ts, temperature_c: 40.5 }]), {
      qos: 1,
    });
    expect(await platform.telemetry.query({ device: 'v5-1', from: ts, to: ts + 1, limit: 1 })).toEqual([
      { ts, values: { temperature_c: 40.5 } },
    ]);
    await expect(
      client.publishAsync(topics.telemetry('v5-2'), JSON.stringify({ ts, temperature_c: 99 }), { qos: 1 }),
    ).rejects.toMatchObject({ code: 0x87 });
    expect(client.connected).toBe(true);
    await client.publishAsync(topics.telemetry('v5-1'), JSON.stringify({ ts: ts + 1, temperature_c: 41 }), {
      qos: 1,
    });
    expect(await platform.telemetry.query({ device: 'v5-2', from: 0, to: Date.now(), limit: 1 })).toEqual([]);
    await client.endAsync();
  });
});
