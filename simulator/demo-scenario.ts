/**
 * The demonstration fleet: a couple of days of history replayed fast, with faults timed so that several
 * reach failure within the first minutes of wall time, a heat wave in the south and two data-quality faults.
 */
import type { FaultKind } from '../core/models.js';
import { type FaultRequest, planFleet, type SimulationOptionsInput } from './plan.js';
import { DAY_MS, HOUR_MS } from './time.js';

/** The demo's faults: model, kind, onset and span in simulated hours from the start. */
const DEMO_FAULTS: ReadonlyArray<{ model: string; kind: FaultKind; onsetH: number; spanH: number }> = [
  { model: 'PU-55', kind: 'fan_failure', onsetH: 1, spanH: 6 },
  { model: 'PU-55', kind: 'fan_failure', onsetH: 3, spanH: 8 },
  { model: 'PU-55', kind: 'imbalance', onsetH: 4, spanH: 24 },
  { model: 'FR-300', kind: 'refrigerant_leak', onsetH: 2, spanH: 34 },
  // Already wearing when the demo starts.
  { model: 'PU-55', kind: 'bearing_wear', onsetH: -20 * 24, spanH: 20 * 24 + 44 },
  { model: 'WM-800', kind: 'offline', onsetH: 5, spanH: 6 },
  { model: 'FR-300', kind: 'sensor_stuck', onsetH: 6, spanH: 12 },
];

export interface DemoScenario {
  options: SimulationOptionsInput & { start: number; speed: number };
  /** Wall-clock ms until the simulated clock reaches the present and runs in real time. */
  catchUpMs: number;
}

/**
 * Options for a live demo fleet of `devices` devices at `speed`, starting `historyMinutes` of wall time in
 * the past, so every planned fault has failed by then.
 */
export function demoScenario(
  devices: number,
  seed: number,
  speed: number,
  now: number,
  historyMinutes = 10,
): DemoScenario {
  // Within the platform's default retention, or the oldest readings would be refused.
  const historyMs = Math.min(historyMinutes * 60_000 * speed, 25 * DAY_MS);
  const start = Math.floor((now - historyMs) / 1000) * 1000;
  const base = { devices, days: historyMs / DAY_MS, seed, start, idPrefix: 'demo', faults: [] };
  const plan = planFleet(base);
  const used = new Set<number>();
  const faults: FaultRequest[] = [];
  for (const fault of DEMO_FAULTS) {
    const device = plan.devices.find((d) => d.model === fault.model && !used.has(d.index));
    if (!device) continue;
    used.add(device.index);
    faults.push({
      device: device.index,
      kind: fault.kind,
      onset: start + fault.onsetH * HOUR_MS,
      spanMs: fault.spanH * HOUR_MS,
    });
  }
  const heatWaves = [{ region: 'south', start: start + 12 * HOUR_MS, end: start + 40 * HOUR_MS, deltaC: 6 }];
  return { options: { ...base, faults, heatWaves, speed }, catchUpMs: historyMs / speed };
}
