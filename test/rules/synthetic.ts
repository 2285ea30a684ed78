/** Synthetic telemetry with known change points, for the detector tests. Deterministic: a seeded generator. */
import type { Reading } from '../../core/types.js';
import { defaultRulesConfig, type RulesConfig } from '../../rules/config.js';
import { type Arrival, RulesEngine } from '../../rules/engine.js';
import type { Finding } from '../../rules/finding.js';
import type { DeviceInfo } from '../../rules/state.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** A fixed start, so failures print the same times every run. */
export const T0 = Date.UTC(2025, 5, 1);

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): { next(): number; normal(): number } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  };
}

export interface SeriesSpec {
  device: string;
  /** Reporting interval, ms. */
  intervalMs?: number;
  start?: number;
  /** How long, ms. */
  durationMs: number;
  /** Metric name → value at time t (ms since start); noise is added by `noise`. */
  metrics: Record<string, (t: number) => number>;
  /** Standard deviation of the noise added to each metric (0 when not listed). */
  noise?: Record<string, number>;
  seed?: number;
}

/** One device's readings: every metric at every interval, with seeded Gaussian noise. */
export function series(spec: SeriesSpec): Reading[] {
  const random = rng(spec.seed ?? 1);
  const interval = spec.intervalMs ?? MINUTE;
  const start = spec.start ?? T0;
  const readings: Reading[] = [];
  for (let t = 0; t < spec.durationMs; t += interval) {
    const metrics: Record<string, number> = {};
    for (const [name, level] of Object.entries(spec.metrics)) {
      metrics[name] = level(t) + (spec.noise?.[name] ?? 0) * random.normal();
    }
    readings.push({ device: spec.device, ts: start + t, metrics });
  }
  return readings;
}

/** Interleaves several devices' readings in time order, as they would arrive. */
export function interleave(...streams: Reading[][]): Reading[] {
  return streams.flat().sort((a, b) => a.ts - b.ts || a.device.localeCompare(b.device));
}

/** A healthy PU-55 pump (runs continuously, no operating-state gate): vibration, temperature, ambient, current. */
export function pump(
  overrides: Partial<Record<string, (t: number) => number>> = {},
): Record<string, (t: number) => number> {
  const ambient = (t: number) => 20 + 4 * Math.sin((2 * Math.PI * t) / DAY);
  return {
    vibration_rms: () => 1.5,
    temperature_c: (t) => 40 + 0.6 * ambient(t),
    ambient_c: ambient,
    current_a: () => 90,
    ...overrides,
  };
}

export const PUMP_NOISE = { vibration_rms: 0.05, temperature_c: 0.15, ambient_c: 0.1, current_a: 1 };

/** An engine over the given devices (all PU-55 unless said otherwise). */
export function engineFor(
  devices: Record<string, DeviceInfo>,
  rules: RulesConfig = defaultRulesConfig(),
): RulesEngine {
  return new RulesEngine({ rules, deviceInfo: (id) => devices[id] });
}

/** Feeds readings one at a time (arrival = reading time unless given) and collects every finding. */
export function run(
  engine: RulesEngine,
  readings: readonly Reading[],
  arrival?: (r: Reading) => Arrival,
): Finding[] {
  const findings: Finding[] = [];
  for (const reading of readings) engine.process(reading, arrival?.(reading), findings);
  return findings;
}

/** Findings of one device, machine or data-quality. */
export function of(findings: readonly Finding[], device: string, category?: Finding['category']): Finding[] {
  return findings.filter((f) => f.device === device && (!category || f.category === category));
}

/** When the vibration of `stepReadings()`'s pump steps up: day 3 of four. */
export const STEP_AT = T0 + 3 * DAY;

/** Four days of one pump, `p1`, whose vibration steps from 1.5 to 2.1 mm/s at STEP_AT. */
export function stepReadings(): Reading[] {
  return series({
    device: 'p1',
    durationMs: 4 * DAY,
    noise: PUMP_NOISE,
    metrics: pump({ vibration_rms: (t) => (T0 + t < STEP_AT ? 1.5 : 2.1) }),
  });
}
