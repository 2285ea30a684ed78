/**
 * Each detector on a synthetic series with a known change point, through the engine that runs them all: what
 * must be found is found soon after the change, nothing before it, and nothing under another code.
 */
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../core/types.js';
import type { Finding } from '../../rules/finding.js';
import { DAY, engineFor, HOUR, MINUTE, PUMP_NOISE, pump, run, series, T0 } from './synthetic.js';

const PU = { model: 'PU-55', region: 'south' };
const onset = T0 + 2 * DAY;

function machine(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.category === 'machine');
}

function pumpSeries(days: number, overrides: Parameters<typeof pump>[0], seed = 1): Reading[] {
  return series({ device: 'p1', durationMs: days * DAY, metrics: pump(overrides), noise: PUMP_NOISE, seed });
}

describe('zones with hysteresis (ISO 10816 class II: zone C from 2.8 mm/s)', () => {
  // Hovering: ±0.25 around the limit with a 12-minute period, so it is never above it for 10 minutes at once.
  const hover = (t: number) => 2.8 + 0.25 * Math.sin((2 * Math.PI * t) / (12 * MINUTE));
  const vibration = (t: number) => {
    if (t < 2 * HOUR) return hover(t);
    if (t < 3 * HOUR) return 3.3;
    if (t < 9 * HOUR) return hover(t);
    return 1.5;
  };

  it('enters once after a sustained excursion, rides out the hovering, clears once', () => {
    const readings = series({
      device: 'p1',
      durationMs: 12 * HOUR,
      metrics: pump({ vibration_rms: vibration }),
      noise: { vibration_rms: 0.01 },
    });
    const findings = machine(run(engineFor({ p1: PU }), readings));
    expect(findings.map((f) => [f.faultCode, f.state])).toEqual([
      ['VIB-ZONE-C', 'active'],
      ['VIB-ZONE-C', 'cleared'],
    ]);
    const [entered, cleared] = findings.map((f) => f.at - T0);
    // Entered 10 minutes into the excursion (plus smoothing), cleared 30 minutes after the drop.
    expect(entered).toBeGreaterThanOrEqual(2 * HOUR + 10 * MINUTE);
    expect(entered).toBeLessThan(2 * HOUR + 25 * MINUTE);
    expect(cleared).toBeGreaterThanOrEqual(9 * HOUR + 30 * MINUTE);
    expect(cleared).toBeLessThan(9 * HOUR + 45 * MINUTE);
    expect(findings[0].evidence.limit).toBe(2.8);
  });

  it('never enters while a value only hovers at the limit', () => {
    const readings = series({
      device: 'p1',
      durationMs: 12 * HOUR,
      metrics: pump({ vibration_rms: hover }),
      noise: { vibration_rms: 0.01 },
    });
    expect(machine(run(engineFor({ p1: PU }), readings))).toEqual([]);
  });
});

describe('drift, step and trend on the learned baseline', () => {
  it('a healthy unit produces nothing at all', () => {
    expect(run(engineFor({ p1: PU }), pumpSeries(5, {}))).toEqual([]);
  });

  it('a step in vibration below any zone limit is a VIB-STEP within two hours of the change', () => {
    const findings = run(
      engineFor({ p1: PU }),
      pumpSeries(4, { vibration_rms: (t) => (T0 + t < onset ? 1.5 : 2.1) }),
    );
    const first = machine(findings)[0];
    expect(first?.faultCode).toBe('VIB-STEP');
    expect(first.at).toBeGreaterThan(onset);
    expect(first.at - onset).toBeLessThan(2 * HOUR);
    expect(first.evidence.baseline).toBeCloseTo(1.5, 1);
    expect(first.evidence.change).toBeGreaterThan(0.4);
  });

  it('a level that drops below the old baseline (new parts) clears the drift at once', () => {
    const repairedAt = onset + DAY;
    const level = (t: number) => (T0 + t < onset ? 1.5 : T0 + t < repairedAt ? 2.1 : 1.2);
    const findings = machine(run(engineFor({ p1: PU }), pumpSeries(4, { vibration_rms: level })));
    expect(new Set(findings.map((f) => f.faultCode))).toEqual(new Set(['VIB-STEP']));
    expect(findings.map((f) => f.state)).toEqual(['active', 'cleared']);
    // Sooner than the EWMA route (two hours below clearZ) could clear it.
    expect(findings[1].at - repairedAt).toBeLessThan(1.5 * HOUR);
  });

  it('a slow upward drift is found as a drift or trend, long before any limit', () => {
    const ramp = (t: number) => 1.5 + Math.max(0, (T0 + t - onset) / HOUR) * 0.01;
    const findings = machine(run(engineFor({ p1: PU }), pumpSeries(6, { vibration_rms: ramp })));
    expect(['VIB-DRIFT', 'VIB-TREND']).toContain(findings[0]?.faultCode);
    expect(findings[0].at).toBeGreaterThan(onset);
    // 0.01 mm/s per hour against a 0.05 mm/s noise floor: found within a day, at about 1.6–1.8 mm/s.
    expect(findings[0].at - onset).toBeLessThan(DAY);
  });

  it('a trend predicts when the critical level (7.1 mm/s) will be reached, within its stated uncertainty', () => {
    // 0.05 mm/s per hour from 1.5: reaches 7.1 after 112 hours.
    const ramp = (t: number) => 1.5 + Math.max(0, (T0 + t - onset) / HOUR) * 0.05;
    const crossing = onset + 112 * HOUR;
    const findings = machine(run(engineFor({ p1: PU }), pumpSeries(2 + 4, { vibration_rms: ramp })));
    const predictions = findings.filter((f) => f.predictedFailureAt !== null && f.at < crossing - DAY);
    expect(predictions.length).toBeGreaterThan(0);
    const last = predictions[predictions.length - 1];
    const errorHours = Math.abs((last.predictedFailureAt as number) - crossing) / HOUR;
    expect(last.predictionUncertaintyHours).not.toBeNull();
    expect(errorHours).toBeLessThanOrEqual(Math.max(last.predictionUncertaintyHours as number, 6));
    expect(last.evidence.slopePerHour).toBeCloseTo(0.05, 2);
  });

  it('a temperature drift net of ambient is a TEMP finding; the ambient cycle alone is not', () => {
    const drift = (t: number) =>
      40 + 0.6 * (20 + 4 * Math.sin((2 * Math.PI * t) / DAY)) + Math.max(0, (T0 + t - onset) / HOUR) * 0.1;
    const findings = machine(run(engineFor({ p1: PU }), pumpSeries(4, { temperature_c: drift })));
    expect(findings[0]?.faultCode).toMatch(/^TEMP-(DRIFT|TREND)$/);
    expect(findings[0].at).toBeGreaterThan(onset);
    expect(findings[0].at - onset).toBeLessThan(12 * HOUR);
  });
});

describe('data quality: own codes, never a machine fault', () => {
  it('a sensor stuck at a value beyond zone D is SENSOR-STUCK, and nothing else', () => {
    const stuckFrom = onset;
    const stuckUntil = onset + 6 * HOUR;
    const readings = pumpSeries(3, {}).map((r) =>
      r.ts >= stuckFrom && r.ts < stuckUntil ? { ...r, metrics: { ...r.metrics, vibration_rms: 9.5 } } : r,
    );
    const findings = run(engineFor({ p1: PU }), readings);
    expect(findings.map((f) => [f.faultCode, f.state])).toEqual([
      ['SENSOR-STUCK', 'active'],
      ['SENSOR-STUCK', 'cleared'],
    ]);
    expect(findings[0].category).toBe('data_quality');
    expect(findings[1].at).toBe(stuckUntil);
  });

  it('physically impossible values are SENSOR-IMPOSSIBLE, and nothing else', () => {
    const readings = pumpSeries(3, {}).map((r) =>
      r.ts >= onset && r.ts < onset + HOUR
        ? { ...r, metrics: { ...r.metrics, vibration_rms: 150 + (r.ts % 7) } }
        : r,
    );
    const findings = run(engineFor({ p1: PU }), readings);
    expect(findings.map((f) => [f.faultCode, f.state, f.metric])).toEqual([
      ['SENSOR-IMPOSSIBLE', 'active', 'vibration_rms'],
      ['SENSOR-IMPOSSIBLE', 'cleared', 'vibration_rms'],
    ]);
  });

  it('a metric missing while the device still reports is a DATA-GAP until it returns', () => {
    const readings = pumpSeries(3, {}).map((r) => {
      if (r.ts < onset || r.ts >= onset + 2 * HOUR) return r;
      const { temperature_c: _, ...rest } = r.metrics;
      return { ...r, metrics: rest };
    });
    const findings = run(engineFor({ p1: PU }), readings);
    expect(findings.map((f) => [f.faultCode, f.state, f.metric])).toEqual([
      ['DATA-GAP', 'active', 'temperature_c'],
      ['DATA-GAP', 'cleared', 'temperature_c'],
    ]);
    // 30 minutes after the last value, which came a minute before the gap began.
    expect(findings[0].at - (onset - MINUTE)).toBe(30 * MINUTE);
    expect(findings[1].at).toBe(onset + 2 * HOUR);
  });

  it('a device that loses half its readings for a while is a DATA-GAP on the device, and nothing else', () => {
    // Every other reading lost for three hours.
    const readings = pumpSeries(3, {}).filter(
      (r, i) => r.ts < onset || r.ts >= onset + 3 * HOUR || i % 2 === 0,
    );
    const findings = run(engineFor({ p1: PU }), readings);
    expect(findings.map((f) => [f.faultCode, f.state, f.metric])).toEqual([
      ['DATA-GAP', 'active', 'device'],
      ['DATA-GAP', 'cleared', 'device'],
    ]);
    expect(findings[0].at - onset).toBeLessThanOrEqual(2 * HOUR);
    expect(findings[1].at - (onset + 3 * HOUR)).toBeLessThanOrEqual(2 * HOUR);
    expect(findings[0].evidence.current).toBeCloseTo(0.5, 1);
  });

  it('a silent device is OFFLINE once the offline time has passed, and back with its next reading', () => {
    const engine = engineFor({ p1: PU });
    const readings = pumpSeries(1, {});
    run(engine, readings);
    const last = readings[readings.length - 1].ts;
    expect(engine.checkOffline(last + 59 * MINUTE)).toEqual([]);
    const offline = engine.checkOffline(last + 61 * MINUTE);
    expect(offline.map((f) => [f.faultCode, f.state, f.category])).toEqual([
      ['OFFLINE', 'active', 'data_quality'],
    ]);
    expect(engine.checkOffline(last + 120 * MINUTE)).toEqual([]);
    const back = run(engine, [{ ...readings[0], ts: last + 3 * HOUR }]);
    expect(back.map((f) => [f.faultCode, f.state])).toEqual([['OFFLINE', 'cleared']]);
  });

  it('a device clock two hours ahead of arrival is CLOCK-SKEW, and its shifted data makes no machine finding', () => {
    const skewFrom = onset;
    const skewUntil = onset + DAY;
    const readings = pumpSeries(4, {});
    const arrivals = new Map<Reading, number>();
    const shifted = readings.map((r) => {
      const moved = r.ts >= skewFrom && r.ts < skewUntil ? { ...r, ts: r.ts + 2 * HOUR } : r;
      arrivals.set(moved, r.ts);
      return moved;
    });
    const findings = run(engineFor({ p1: PU }), shifted, (r) => ({
      at: arrivals.get(r) as number,
      uncertaintyMs: 0,
    }));
    expect(findings.map((f) => [f.faultCode, f.state])).toEqual([
      ['CLOCK-SKEW', 'active'],
      ['CLOCK-SKEW', 'cleared'],
    ]);
    // raised once the offset has held for clockSkewMinutes (15) of arrival time; cleared after a few readings
    expect(findings[0].at - skewFrom).toBeGreaterThanOrEqual(15 * MINUTE);
    expect(findings[0].at - skewFrom).toBeLessThan(20 * MINUTE);
    expect(findings[1].at - skewUntil).toBeLessThan(10 * MINUTE);
  });

  it('a backlog sent late (offline buffer, replayed history) is not CLOCK-SKEW', () => {
    const readings = pumpSeries(4, {});
    const outageStart = onset;
    const outageEnd = onset + 6 * HOUR;
    // Readings of a six-hour outage all arrive when the link returns, then the device is live again.
    const findings = run(engineFor({ p1: PU }), readings, (r) => ({
      at: r.ts >= outageStart && r.ts < outageEnd ? outageEnd + (r.ts - outageStart) / 1000 : r.ts,
      uncertaintyMs: 0,
    }));
    expect(findings.filter((f) => f.faultCode === 'CLOCK-SKEW')).toEqual([]);

    // A whole history replayed at 300× from two days back: the offset shrinks as it catches up.
    const replayStart = readings[0].ts;
    const catchUp = readings.filter((r) => r.ts < replayStart + 2 * DAY);
    const wallStart = replayStart + 2 * DAY - (2 * DAY) / 300;
    const replayed = run(engineFor({ p1: PU }), catchUp, (r) => ({
      at: wallStart + (r.ts - replayStart) / 300,
      uncertaintyMs: 0,
    }));
    expect(replayed.filter((f) => f.faultCode === 'CLOCK-SKEW')).toEqual([]);
  });

  it('duplicated and reordered readings change nothing', () => {
    const readings = pumpSeries(4, {}, 5);
    const messy: Reading[] = [];
    for (let i = 0; i < readings.length; i++) {
      if (i % 10 === 3 && i + 1 < readings.length) {
        messy.push(readings[i + 1], readings[i]);
        i++;
      } else messy.push(readings[i]);
      if (i % 7 === 0) messy.push(readings[i]);
    }
    expect(run(engineFor({ p1: PU }), messy)).toEqual([]);
  });
});
