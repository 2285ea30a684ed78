import { beforeAll, describe, expect, it } from 'vitest';
import { criticalLevel, ISO_10816_ZONES, type MachineFaultKind, MODEL_PROFILES } from '../../core/models.js';
import type { DeviceSimulator } from '../../simulator/device.js';
import { MACHINE_FAULTS } from '../../simulator/faults.js';
import { metricColumns } from '../../simulator/format.js';
import type { GroundTruth } from '../../simulator/truth.js';
import { type CsvRow, cell, type GeneratedRun, generate } from './csv.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.parse('2025-06-01T00:00:00Z');

/** One faulty device per case; the model decides how the fault shows (cycling, programs, continuous). */
const CASES: Array<{ kind: MachineFaultKind; model: string; onsetDay: number; spanMs?: number }> = [
  { kind: 'bearing_wear', model: 'PU-55', onsetDay: 2, spanMs: 11 * DAY },
  { kind: 'bearing_wear', model: 'AC-2000', onsetDay: 3, spanMs: 10 * DAY },
  { kind: 'imbalance', model: 'PU-55', onsetDay: 4 },
  { kind: 'imbalance', model: 'WM-800', onsetDay: 4.3 },
  { kind: 'loose_mount', model: 'FR-300', onsetDay: 5 },
  { kind: 'refrigerant_leak', model: 'AC-2000', onsetDay: 6 },
  { kind: 'condenser_fouling', model: 'FR-300', onsetDay: 4 },
  { kind: 'fan_failure', model: 'WM-800', onsetDay: 7.35 },
  { kind: 'fan_failure', model: 'PU-55', onsetDay: 8 },
  { kind: 'fan_failure', model: 'AC-2000', onsetDay: 9.5 },
];
const DAYS = 17;
/** Every interval works the same; a longer one keeps this month-long run quick. */
const INTERVAL_S = 20;

interface Trace {
  ts: number[];
  clean: number[];
}

describe('machine faults', () => {
  let parsed: GeneratedRun;
  let truth: GroundTruth;
  const traces = new Map<string, Trace>();

  beforeAll(() => {
    const observe = (simulator: DeviceSimulator, t: number) => {
      const fault = simulator.machineFault;
      if (!fault?.metric) return;
      let trace = traces.get(simulator.device.id);
      if (!trace) {
        trace = { ts: [], clean: [] };
        traces.set(simulator.device.id, trace);
      }
      trace.ts.push(t);
      trace.clean.push(simulator.clean[metricColumns().indexOf(fault.metric)]);
    };
    parsed = generate(
      {
        devices: CASES.length,
        days: DAYS,
        seed: 21,
        intervalS: INTERVAL_S,
        deviceModels: CASES.map((c) => c.model),
        faults: CASES.map((c, device) => ({
          device,
          kind: c.kind,
          onset: START + c.onsetDay * DAY,
          spanMs: c.spanMs,
        })),
      },
      { observe },
    );
    truth = parsed.run.truth();
  });

  it.each(CASES.map((c, i) => [c.kind, c.model, i] as const))(
    '%s on %s reaches the critical level exactly at its stated failure time',
    (kind, model, index) => {
      const fault = truth.faults.find((f) => f.device === parsed.run.plan.devices[index].id);
      expect(fault).toMatchObject({
        kind,
        model,
        category: 'machine',
        metric: MACHINE_FAULTS[kind].metric,
        end: null,
      });
      const failure = Date.parse(fault?.failure as string);
      const onset = Date.parse(fault?.onset as string);
      const critical = criticalLevel(MODEL_PROFILES[model], MACHINE_FAULTS[kind].metric) as number;

      // The noise-free level crosses the critical level first at the failure reading, not before.
      const trace = traces.get(fault?.device as string) as Trace;
      const at = trace.ts.indexOf(failure);
      expect(at).toBeGreaterThan(0);
      expect(trace.clean[at]).toBeGreaterThanOrEqual(critical);
      expect(maxOf(trace.clean.slice(0, at))).toBeLessThan(critical);
      expect(failure - trace.ts[at - 1]).toBe(parsed.run.plan.intervalMs);

      // What the sensor sent at that moment is the critical level give or take sensor noise.
      const row = parsed.rowsOf(fault?.device as string).find((r) => r.ts === failure);
      expect(row?.timestamp).toBe(fault?.failure);
      const reading = cell(parsed.header, row as CsvRow, MACHINE_FAULTS[kind].metric);
      const tolerance = MACHINE_FAULTS[kind].metric === 'vibration_rms' ? 0.2 * critical : 1;
      expect(reading).toBeGreaterThan(critical - tolerance);

      // Near the planned failure: a unit that is not running then (a washer at night) fails when it next runs.
      const planned = parsed.run.plan.faults.find((f) => f.device === fault?.device)
        ?.plannedFailure as number;
      expect(failure).toBeGreaterThan(onset);
      expect(planned - failure).toBeLessThan(0.75 * (planned - onset));
      expect(failure - planned).toBeLessThan(0.6 * (planned - onset) + DAY);
    },
  );

  it('takes weeks for bearing wear, days for leaks, fouling, imbalance and looseness, hours for a fan', () => {
    const spanOf = (kind: MachineFaultKind) =>
      truth.faults
        .filter((f) => f.kind === kind)
        .map((f) => (Date.parse(f.failure as string) - Date.parse(f.onset)) / HOUR);
    expect(Math.min(...spanOf('bearing_wear'))).toBeGreaterThan(8 * 24);
    for (const kind of ['refrigerant_leak', 'condenser_fouling', 'imbalance', 'loose_mount'] as const) {
      for (const hours of spanOf(kind)) expect(hours).toBeGreaterThan(20);
      for (const hours of spanOf(kind)) expect(hours).toBeLessThan(16 * 24);
    }
    for (const hours of spanOf('fan_failure')) expect(hours).toBeLessThan(36);
  });

  it('wears bearings slowly at first, then faster, and keeps a failed pump in zone D', () => {
    const device = parsed.run.plan.devices[0].id;
    const fault = truth.faults.find((f) => f.device === device);
    const trace = traces.get(device) as Trace;
    const onset = Date.parse(fault?.onset as string);
    const failure = Date.parse(fault?.failure as string);
    const levelAt = (t: number) => trace.clean[trace.ts.findIndex((ts) => ts >= t)];
    const middle = (onset + failure) / 2;
    expect(levelAt(failure) - levelAt(middle)).toBeGreaterThan(3 * (levelAt(middle) - levelAt(onset)));
    const after = trace.clean.slice(trace.ts.indexOf(failure));
    expect(-maxOf(after.map((v) => -v))).toBeGreaterThanOrEqual(ISO_10816_ZONES.II.cd);
  });

  it('steps imbalance and loose mounting into zone C at onset', () => {
    for (const index of [2, 4]) {
      const device = parsed.run.plan.devices[index];
      const zones = ISO_10816_ZONES[MODEL_PROFILES[device.model].vibrationClass];
      const fault = truth.faults.find((f) => f.device === device.id);
      const onset = Date.parse(fault?.onset as string);
      const trace = traces.get(device.id) as Trace;
      const window = (from: number, to: number) =>
        trace.clean.filter((_, i) => trace.ts[i] >= from && trace.ts[i] < to);
      expect(maxOf(window(onset - 6 * HOUR, onset))).toBeLessThan(zones.bc);
      const justAfter = maxOf(window(onset, onset + 3 * HOUR));
      expect(justAfter).toBeGreaterThanOrEqual(zones.bc);
      expect(justAfter).toBeLessThan(zones.cd);
    }
  });

  it('makes a leaking AC run longer and hotter than the same unit without the leak, more so under load', () => {
    const index = CASES.findIndex((c) => c.kind === 'refrigerant_leak');
    const device = parsed.run.plan.devices[index].id;
    const fault = truth.faults.find((f) => f.device === device);
    const failure = Date.parse(fault?.failure as string);
    // The same unit, weather and routine without the fault.
    const healthy = generate({
      devices: index + 1,
      days: DAYS,
      seed: 21,
      intervalS: INTERVAL_S,
      deviceModels: CASES.slice(0, index + 1).map((c) => c.model),
      faults: [],
    });
    const lastDays = (run: GeneratedRun) =>
      run.rowsOf(device).filter((r) => r.ts >= failure - 2 * DAY && r.ts < failure);
    const faulty = lastDays(parsed);
    const reference = lastDays(healthy);
    expect(faulty.map((r) => r.ts)).toEqual(reference.map((r) => r.ts));
    const isRunning = (rows: typeof faulty) => rows.map((r) => cell(parsed.header, r, 'current_a') > 2);
    const share = (flags: boolean[]) => flags.filter(Boolean).length / flags.length;
    const faultyRunning = isRunning(faulty);
    const referenceRunning = isRunning(reference);
    expect(share(faultyRunning)).toBeGreaterThan(share(referenceRunning) * 1.2);
    const excess = (state: boolean) => {
      let sum = 0;
      let count = 0;
      faulty.forEach((row, i) => {
        if (faultyRunning[i] !== state || referenceRunning[i] !== state) return;
        sum += cell(parsed.header, row, 'temperature_c') - cell(parsed.header, reference[i], 'temperature_c');
        count++;
      });
      return sum / count;
    };
    expect(excess(true)).toBeGreaterThan(5);
    expect(excess(true)).toBeGreaterThan(2 * excess(false));
  });
  it("keeps every reading inside its sensor's physical range, also long after a failure", () => {
    const outside: string[] = [];
    for (const device of parsed.run.plan.devices) {
      const ranges = Object.entries(MODEL_PROFILES[device.model].metrics);
      for (const row of parsed.rowsOf(device.id)) {
        for (const [metric, { physical }] of ranges) {
          const value = cell(parsed.header, row, metric);
          if (value < physical.min || value > physical.max)
            outside.push(`${device.id} ${metric}=${value} at ${row.timestamp}`);
        }
      }
    }
    expect(outside.slice(0, 5)).toEqual([]);
  });
});

function maxOf(values: readonly number[]): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > max) max = value;
  return max;
}
