import { describe, expect, it } from 'vitest';
import { type DecodeLimits, decodeTelemetry } from '../../ingest/decode.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const LIMITS: DecodeLimits = {
  maxPayloadBytes: 1024,
  maxReadingsPerMessage: 3,
  maxFutureSkewMs: 5 * 60_000,
  maxAgeMs: 30 * 86_400_000,
};
const decode = (payload: string | Buffer) =>
  decodeTelemetry('dev-1', typeof payload === 'string' ? Buffer.from(payload) : payload, NOW, LIMITS);

describe('decodeTelemetry', () => {
  it('accepts epoch-ms and ISO timestamps, and uses server time when ts is absent', () => {
    expect(decode(`{"ts": ${NOW - 1000}, "vibration_rms": 1.25}`).readings).toEqual([
      { device: 'dev-1', ts: NOW - 1000, metrics: { vibration_rms: 1.25 } },
    ]);
    expect(decode('{"ts": "2026-06-01T11:59:00.500Z", "temperature_c": -3}').readings[0].ts).toBe(
      NOW - 59_500,
    );
    expect(decode('{"ts": "2026-06-01T13:59:00+02:00", "temperature_c": 1}').readings[0].ts).toBe(
      NOW - 60_000,
    );
    expect(decode('{"temperature_c": 21.5}').readings[0].ts).toBe(NOW);
  });

  it('keeps the good readings of an array and names each bad one', () => {
    const { readings, problems } = decode(
      `[{"ts": ${NOW}, "a": 1}, {"ts": ${NOW}, "a": "x"}, {"ts": ${NOW - 1}, "a": 2}]`,
    );
    expect(readings.map((r) => r.metrics.a)).toEqual([1, 2]);
    expect(problems).toEqual([
      { reason: 'bad_metric_value', detail: expect.stringContaining("'a'"), index: 1 },
    ]);
  });

  it.each([
    ['not_json', '{"ts": 1,'],
    ['not_object', '42'],
    ['not_object', '[1]'],
    ['bad_metric_value', '{"vibration_rms": null}'],
    ['bad_metric_value', '{"vibration_rms": "1.2"}'],
    ['bad_metric_value', '{"vibration_rms": true}'],
    ['bad_metric_name', '{"Vibration": 1}'],
    ['bad_metric_name', '{"vib/rms": 1}'],
    ['bad_timestamp', '{"ts": "yesterday", "a": 1}'],
    ['bad_timestamp', '{"ts": "2026-06-01T12:00:00", "a": 1}'],
    ['bad_timestamp', '{"ts": -5, "a": 1}'],
    ['bad_timestamp', '{"ts": 1e20, "a": 1}'],
    ['bad_timestamp', '{"ts": "+275760-09-13T00:00:00Z", "a": 1}'],
    ['future_timestamp', `{"ts": ${NOW + 6 * 60_000}, "a": 1}`],
    ['too_old', `{"ts": ${NOW - 31 * 86_400_000}, "a": 1}`],
    ['too_many_readings', '[{"a":1},{"a":2},{"a":3},{"a":4}]'],
    ['no_metrics', `{"ts": ${NOW}}`],
  ])('rejects %s: %s', (reason, payload) => {
    const { readings, problems } = decode(payload);
    expect(readings).toEqual([]);
    expect(problems[0].reason).toBe(reason);
    expect(problems[0].detail.length).toBeGreaterThan(10);
  });

  it('refuses a payload over the size limit before parsing it', () => {
    const { problems } = decode(Buffer.alloc(2000, ' '));
    expect(problems).toEqual([
      { reason: 'payload_too_large', detail: expect.stringContaining('2000 bytes') },
    ]);
  });

  it('treats non-finite numbers written as huge literals as bad values', () => {
    expect(decode('{"a": 1e400}').problems[0].reason).toBe('bad_metric_value');
  });
});
