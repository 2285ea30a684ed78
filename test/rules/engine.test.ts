import { describe, expect, it } from 'vitest';
import type { Reading } from '../../core/types.js';
import { parseRulesConfig } from '../../rules/config.js';
import type { RulesSnapshot } from '../../rules/engine.js';
import {
  DAY,
  engineFor,
  HOUR,
  interleave,
  of,
  PUMP_NOISE,
  pump,
  run,
  STEP_AT,
  series,
  stepReadings,
  T0,
} from './synthetic.js';

const REGION = { model: 'PU-55', region: 'south' };

describe('context: a regional heat wave against one drifting unit', () => {
  const heatFrom = T0 + 3 * DAY;
  // +6 °C over the region, ramped in over six hours, until the end of the run.
  const heat = (t: number) => 6 * Math.min(1, Math.max(0, (T0 + t - heatFrom) / (6 * HOUR)));
  const ambient = (t: number) => 20 + 4 * Math.sin((2 * Math.PI * t) / DAY) + heat(t);
  const ids = Array.from({ length: 8 }, (_, i) => `p${i + 1}`);
  const devices = Object.fromEntries(ids.map((id) => [id, REGION]));

  function fleet(): Reading[] {
    return interleave(
      ...ids.map((id, i) =>
        series({
          device: id,
          durationMs: 5 * DAY,
          seed: 100 + i,
          noise: PUMP_NOISE,
          metrics: pump({
            ambient_c: ambient,
            // Units run hotter in a heat wave than ambient compensation alone explains (more load, less cooling).
            temperature_c: (t) =>
              38 +
              i * 0.7 +
              0.6 * ambient(t) +
              0.6 * heat(t) +
              (id === 'p8' ? Math.max(0, (T0 + t - heatFrom) / HOUR) * 0.15 : 0),
          }),
        }),
      ),
    );
  }

  it('opens nothing for the heat wave while the drifting unit is found', () => {
    const findings = run(engineFor(devices), fleet());
    for (const id of ids.slice(0, 7)) expect(of(findings, id)).toEqual([]);
    const drifting = of(findings, 'p8', 'machine');
    expect(drifting[0]?.faultCode).toMatch(/^TEMP-/);
    expect(drifting[0].at - heatFrom).toBeLessThan(DAY);
  });

  it('without peer context the same heat wave would open a finding per unit', () => {
    const rules = parseRulesConfig({
      defaults: { metrics: { temperature_c: { peers: { enabled: false } } } },
    });
    const findings = run(engineFor(devices, rules), fleet());
    const flagged = ids.filter((id) => of(findings, id, 'machine').length > 0);
    expect(flagged.length).toBeGreaterThanOrEqual(6);
  });
});

const stepAt = STEP_AT;
const readings = stepReadings();

describe('restart: state survives in a snapshot', () => {
  const cut = readings.findIndex((r) => r.ts >= T0 + 2.5 * DAY);

  it('continues after restore exactly as if it had never stopped, without a second warm-up', () => {
    const uninterrupted = run(engineFor({ p1: REGION }), readings);

    const before = engineFor({ p1: REGION });
    run(before, readings.slice(0, cut));
    const saved = JSON.parse(JSON.stringify(before.snapshot())) as RulesSnapshot;
    const after = engineFor({ p1: REGION });
    expect(after.restore(saved)).toBe(1);
    const resumed = run(after, readings.slice(cut));

    expect(resumed).toEqual(uninterrupted);
    // Found two hours after the step: a second warm-up would have needed a day.
    expect(resumed[0]?.faultCode).toBe('VIB-STEP');
    expect(resumed[0].at - stepAt).toBeLessThan(2 * HOUR);
  });

  it('refuses a snapshot of another layout instead of misreading it', () => {
    const engine = engineFor({ p1: REGION });
    run(engine, readings.slice(0, 100));
    const saved = engine.snapshot();
    expect(() => engineFor({}).restore({ ...saved, layout: 'something else' })).toThrow(/incompatible/);
  });
});

describe('device keys: readings that carry one', () => {
  it('find the same state as readings without one, and conclude the same', () => {
    const byId = run(engineFor({ p1: REGION }), readings);
    // Every other reading keyed: a device whose sessions resolve its key alongside readings that do not.
    const mixed = run(
      engineFor({ p1: REGION }),
      readings.map((r, i) => (i % 2 === 0 ? { ...r, deviceKey: 7 } : r)),
    );
    expect(byId.some((f) => f.faultCode === 'VIB-STEP')).toBe(true);
    expect(mixed).toEqual(byId);
  });

  it('start afresh after the device is forgotten (a removed device registered again)', () => {
    const engine = engineFor({ p1: REGION });
    const keyed = readings.map((r) => ({ ...r, deviceKey: 0 }));
    const cut = readings.findIndex((r) => r.ts >= stepAt);
    run(engine, keyed.slice(0, cut));
    expect(engine.inspect('p1')?.metrics.vibration_rms.warm).toBe(1);
    engine.forget('p1');
    run(engine, keyed.slice(cut, cut + 10));
    expect(engine.inspect('p1')?.metrics.vibration_rms.warm).toBe(0);
    expect(engine.deviceCount).toBe(1);
  });
});

describe('state size', () => {
  it('keeps at most 1 KB of detector state per device and machine metric', () => {
    const engine = engineFor({
      p1: REGION,
      a1: { model: 'AC-2000' },
      f1: { model: 'FR-300' },
      w1: { model: 'WM-800' },
    });
    run(engine, [
      { device: 'p1', ts: T0, metrics: { vibration_rms: 1 } },
      { device: 'a1', ts: T0, metrics: { vibration_rms: 1 } },
      { device: 'f1', ts: T0, metrics: { vibration_rms: 1 } },
      { device: 'w1', ts: T0, metrics: { vibration_rms: 1 } },
    ]);
    for (const device of engine.snapshot().devices) {
      const bytes = Buffer.from(device.rows, 'base64').length + Buffer.from(device.rings, 'base64').length;
      // Two machine metrics per device (vibration and temperature); the data-quality rows of the others ride along.
      expect(bytes / 2).toBeLessThanOrEqual(1024);
    }
  });
});
