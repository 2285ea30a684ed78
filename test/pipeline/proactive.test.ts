import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../core/wire.js';
import { eventually, startTestPlatform, type TestPlatform } from '../support/platform.js';

interface TicketSummary {
  id: string;
  device: string;
  faultCode: string;
  category: string;
  priority: string;
  status: string;
}

describe('telemetry to proactive ticket', () => {
  let platform: TestPlatform;
  // The platform's clock follows the data, so a device streaming hours of readings looks like a live device.
  let simulatedNow = Date.now() - 6 * 3_600_000;
  beforeAll(async () => {
    platform = await startTestPlatform({}, { clock: () => simulatedNow });
  });
  afterAll(() => platform.dispose());

  it('a pump whose vibration jumps into ISO zone D gets one proactive machine ticket, through MQTT, ingest, rules and tickets', async () => {
    const client = await platform.connect('pu-1', await platform.provision('pu-1', 'PU-55'));
    const start = simulatedNow;
    const wave = (i: number, period: number, amplitude: number) =>
      amplitude * Math.sin((2 * Math.PI * i) / period);
    const readings = Array.from({ length: 2000 }, (_, i) => ({
      ts: start + i * 10_000,
      // healthy: ~1.5 mm/s with noise-like ripple; then a step to 9 mm/s (class II zone D starts at 7.1)
      vibration_rms: (i < 1700 ? 1.5 : 9) + wave(i, 7.3, 0.05) + wave(i, 3.1, 0.02),
      temperature_c: 50 + wave(i, 360, 1) + wave(i, 5.7, 0.1),
      ambient_c: 20 + wave(i, 8640, 4) + wave(i, 4.3, 0.05),
      current_a: 80 + wave(i, 6.1, 0.5),
    }));
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i += 30) {
        simulatedNow = Math.max(simulatedNow, readings[Math.min(i + 29, readings.length - 1)].ts + 1000);
        await client.publishAsync(topics.telemetry('pu-1'), JSON.stringify(readings.slice(i, i + 30)), {
          qos: 1,
        });
      }
      await platform.rules.settled();
    };
    await send(0, readings.length);
    expect((await platform.metrics.rulesReadingsEvaluated.get()).values[0].value).toBe(readings.length);
    expect(
      (await platform.metrics.rulesEvaluationLag.get()).values.find((v) => v.labels.le === '+Inf')?.value,
    ).toBe(readings.length);
    const tickets = await eventually(async () => {
      const res = await platform.api<{ tickets: TicketSummary[] }>('GET', '/api/tickets?device=pu-1');
      return res.body.tickets.length > 0 ? res.body.tickets : undefined;
    });
    expect(tickets).toEqual([
      expect.objectContaining({ device: 'pu-1', category: 'machine', priority: 'P1', status: 'open' }),
    ]);
    expect(tickets[0].faultCode).toMatch(/^VIB-/);

    // Redelivering readings opens nothing new.
    await send(1500, 2000);
    const again = await platform.api<{ tickets: TicketSummary[] }>('GET', '/api/tickets?device=pu-1');
    console.log(JSON.stringify(again.body.tickets.map((t) => [t.id, t.faultCode, t.category])));
    expect(again.body.tickets.map((t) => t.id)).toEqual([tickets[0].id]);
  });
});
