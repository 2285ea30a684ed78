import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestReject } from '../../core/types.js';
import { topics } from '../../core/wire.js';
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('bad telemetry is refused with a reason, counted, and loses nothing', () => {
  let platform: TestPlatform;
  let client: MqttClient;
  const now = Date.now();
  let goodReadings = 0;

  beforeAll(async () => {
    platform = await startTestPlatform({ ingest: { maxPayloadBytes: 4096, maxReadingsPerMessage: 10 } });
    client = await platform.connect('wm-1', await platform.provision('wm-1', 'WM-800'));
  });
  afterAll(() => platform.dispose());

  const cases: Array<[string, string]> = [
    ['not_json', '{"ts": 1, "vibration_rms": '],
    ['not_object', '"hello"'],
    ['bad_metric_value', '{"vibration_rms": "high"}'],
    ['bad_metric_value', '{"vibration_rms": null}'],
    ['bad_metric_name', '{"Vibration RMS": 1}'],
    ['bad_timestamp', '{"ts": "last tuesday", "vibration_rms": 1}'],
    ['future_timestamp', `{"ts": ${now + 3_600_000}, "vibration_rms": 1}`],
    ['too_old', `{"ts": ${now - 40 * 86_400_000}, "vibration_rms": 1}`],
    ['payload_too_large', JSON.stringify({ vibration_rms: 1, pad: 'x'.repeat(5000) })],
    [
      'too_many_readings',
      JSON.stringify(Array.from({ length: 11 }, (_, i) => ({ ts: now - i, vibration_rms: 1 }))),
    ],
    ['no_metrics', `{"ts": ${now}}`],
  ];

  it.each(cases)(
    '%s: rejected, listed, counted, and the connection still delivers',
    async (reason, payload) => {
      const before =
        (await platform.metrics.rejects.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
      await client.publishAsync(topics.telemetry('wm-1'), payload, { qos: 1 });
      goodReadings++;
      const good = { ts: now - goodReadings * 1000, vibration_rms: 1.1 };
      await client.publishAsync(topics.telemetry('wm-1'), JSON.stringify(good), { qos: 1 });
      expect(client.connected).toBe(true);

      const { body } = await platform.api<{ rejects: IngestReject[] }>('GET', '/api/ingest/rejects');
      expect(body.rejects[0]).toMatchObject({ device: 'wm-1', reason, excerpt: payload.slice(0, 200) });
      expect(body.rejects[0].detail).toBeTruthy();
      const after = (await platform.metrics.rejects.get()).values.find(
        (v) => v.labels.reason === reason,
      )?.value;
      expect(after).toBe(before + 1);

      const stored = await platform.telemetry.query({
        device: 'wm-1',
        from: good.ts,
        to: good.ts + 1,
        limit: 10,
      });
      expect(stored).toEqual([{ ts: good.ts, values: { vibration_rms: 1.1 } }]);
    },
  );

  it('keeps the good readings of an array that also holds bad ones', async () => {
    const base = now - 10 * 60_000;
    await client.publishAsync(
      topics.telemetry('wm-1'),
      JSON.stringify([
        { ts: base, rpm: 1200 },
        { ts: base + 1, rpm: 'fast' },
        { ts: base + 2, rpm: 1210 },
      ]),
      { qos: 1 },
    );
    const stored = await platform.telemetry.query({ device: 'wm-1', from: base, to: base + 3, limit: 10 });
    expect(stored.map((p) => p.values.rpm)).toEqual([1200, 1210]);
    const { body } = await platform.api<{ rejects: IngestReject[] }>('GET', '/api/ingest/rejects?limit=1');
    expect(body.rejects).toEqual([
      expect.objectContaining({ reason: 'bad_metric_value', detail: expect.stringMatching(/^reading 1: /) }),
    ]);
  });

  it('exposes the counts in Prometheus format', async () => {
    const res = await fetch(`http://127.0.0.1:${platform.httpPort}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/forewarn_ingest_rejects_total\{reason="not_json"\} [1-9]/);
    expect(text).toMatch(/forewarn_readings_stored_total [1-9]/);
    await eventually(() => (platform.registry.get('wm-1')?.lastSeenAt ? true : undefined));
  });
});
