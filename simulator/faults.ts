/**
 * The faults the simulator can inject: how long each takes, how its severity grows, and how it is placed
 * in a run. Machine faults degrade a metric until it reaches the model's critical level (the failure);
 * data-quality faults only change what arrives from the device, for a while.
 */
import {
  DATA_QUALITY_FAULT_KINDS,
  type DataQualityFaultKind,
  type FaultKind,
  MACHINE_FAULT_KINDS,
  type MachineFaultKind,
} from '../core/models.js';
import { roundTo as round } from './format.js';
import type { Rng } from './random.js';
import { DAY_MS, HOUR_MS } from './time.js';

export type FaultCategory = 'machine' | 'data_quality';

export interface MachineFaultSpec {
  /** The metric that reaches the critical level at the failure. */
  metric: 'vibration_rms' | 'temperature_c';
  /** Range of the onset-to-failure span, ms. */
  spanMs: readonly [number, number];
  /** How far the severity may still grow after the failure, relative to the planned failure severity (1). */
  severityCap: number;
  /** Share of cooling capacity lost at severity 1 (refrigeration faults make compressors run longer). */
  capacityLoss: number;
}

export const MACHINE_FAULTS: Record<MachineFaultKind, MachineFaultSpec> = {
  bearing_wear: {
    metric: 'vibration_rms',
    spanMs: [10 * DAY_MS, 40 * DAY_MS],
    severityCap: 1.8,
    capacityLoss: 0,
  },
  imbalance: { metric: 'vibration_rms', spanMs: [2 * DAY_MS, 8 * DAY_MS], severityCap: 1.4, capacityLoss: 0 },
  loose_mount: {
    metric: 'vibration_rms',
    spanMs: [1 * DAY_MS, 6 * DAY_MS],
    severityCap: 1.4,
    capacityLoss: 0,
  },
  refrigerant_leak: {
    metric: 'temperature_c',
    spanMs: [3 * DAY_MS, 10 * DAY_MS],
    severityCap: 1.3,
    capacityLoss: 0.55,
  },
  condenser_fouling: {
    metric: 'temperature_c',
    spanMs: [5 * DAY_MS, 14 * DAY_MS],
    severityCap: 1.3,
    capacityLoss: 0.4,
  },
  fan_failure: {
    metric: 'temperature_c',
    spanMs: [3 * HOUR_MS, 12 * HOUR_MS],
    severityCap: 1.2,
    capacityLoss: 0.3,
  },
};

export interface DataQualityFaultSpec {
  /** Range of how long the fault lasts, ms. */
  durationMs: readonly [number, number];
}

export const DATA_QUALITY_FAULTS: Record<DataQualityFaultKind, DataQualityFaultSpec> = {
  sensor_stuck: { durationMs: [6 * HOUR_MS, 5 * DAY_MS] },
  dropout: { durationMs: [2 * HOUR_MS, 2 * DAY_MS] },
  offline: { durationMs: [2 * HOUR_MS, 3 * DAY_MS] },
  clock_skew: { durationMs: [1 * DAY_MS, 10 * DAY_MS] },
  duplicates: { durationMs: [1 * DAY_MS, 7 * DAY_MS] },
  out_of_order: { durationMs: [1 * DAY_MS, 7 * DAY_MS] },
};

export function isMachineFault(kind: FaultKind): kind is MachineFaultKind {
  return (MACHINE_FAULT_KINDS as readonly string[]).includes(kind);
}

export function faultKindCategory(kind: FaultKind): FaultCategory {
  return isMachineFault(kind) ? 'machine' : 'data_quality';
}

/** Share of each kind among injected faults when nothing else is asked: about two thirds machine faults. */
export const DEFAULT_FAULT_MIX: Record<FaultKind, number> = {
  bearing_wear: 3,
  imbalance: 1.5,
  loose_mount: 1,
  refrigerant_leak: 2,
  condenser_fouling: 1.5,
  fan_failure: 1.5,
  sensor_stuck: 0.75,
  dropout: 0.75,
  offline: 0.75,
  clock_skew: 0.75,
  duplicates: 0.75,
  out_of_order: 0.75,
};

export const ALL_FAULT_KINDS: readonly FaultKind[] = [...MACHINE_FAULT_KINDS, ...DATA_QUALITY_FAULT_KINDS];

/** Kind-specific parameters drawn when a fault is planned. */
export interface FaultParams {
  /** bearing_wear: how sharply the wear accelerates towards the end (e-folding count over the span). */
  growth?: number;
  /** imbalance, loose_mount: where in zone C (0 = B/C boundary, 1 = C/D boundary) the step at onset lands. */
  stepZoneC?: number;
  /** sensor_stuck: which metric freezes. */
  stuckMetric?: string;
  /** dropout, duplicates, out_of_order: share of readings affected. */
  rate?: number;
  /** clock_skew: how far the device clock is off, ms (positive = ahead). */
  skewMs?: number;
  /** out_of_order: a held-back reading arrives after up to this many later ones. */
  maxDelayReadings?: number;
}

/** A fault placed on a device. Times are epoch ms. */
export interface PlannedFault {
  device: string;
  kind: FaultKind;
  category: FaultCategory;
  /** The metric that degrades (machine faults) or freezes (sensor_stuck); null otherwise. */
  metric: string | null;
  onset: number;
  /** Machine faults: when the metric is planned to reach the critical level under reference conditions. */
  plannedFailure: number | null;
  /** Data-quality faults: when the fault stops. */
  end: number | null;
  params: FaultParams;
}

/** Draws the kind-specific parameters of a fault. `metrics` are the device's metrics. */
export function drawFaultParams(kind: FaultKind, metrics: readonly string[], rng: Rng): FaultParams {
  switch (kind) {
    case 'bearing_wear':
      return { growth: round(rng.uniform(2.5, 4.5), 3) };
    case 'imbalance':
    case 'loose_mount':
      return { stepZoneC: round(rng.uniform(0.1, 0.4), 3) };
    case 'sensor_stuck':
      return { stuckMetric: rng.pick(metrics.filter((m) => m === 'vibration_rms' || m === 'temperature_c')) };
    case 'dropout':
      return { rate: round(rng.uniform(0.2, 0.6), 3) };
    case 'duplicates':
      return { rate: round(rng.uniform(0.05, 0.3), 3) };
    case 'out_of_order':
      return { rate: round(rng.uniform(0.05, 0.2), 3), maxDelayReadings: rng.int(1, 5) };
    case 'clock_skew': {
      const magnitude = Math.round(Math.exp(rng.uniform(Math.log(30), Math.log(7200)))) * 1000;
      return { skewMs: rng.chance(0.5) ? magnitude : -magnitude };
    }
    default:
      return {};
  }
}

/**
 * Severity of a machine fault at `t`: 0 before onset, 1 at the planned failure (under reference
 * conditions that is exactly the critical level), growing further afterwards.
 */
export function machineSeverity(fault: PlannedFault, stepSeverity: number, t: number): number {
  if (t < fault.onset) return 0;
  const x = (t - fault.onset) / ((fault.plannedFailure as number) - fault.onset);
  switch (fault.kind) {
    case 'bearing_wear': {
      // Slow at first, then faster: the classic exponential wear curve.
      const k = fault.params.growth ?? 3.5;
      return Math.expm1(k * x) / Math.expm1(k);
    }
    case 'imbalance':
    case 'loose_mount':
      // A step into zone C at onset, then a slow rise.
      return stepSeverity + (1 - stepSeverity) * x;
    case 'refrigerant_leak':
      return x ** 1.3;
    case 'condenser_fouling':
      return x;
    case 'fan_failure':
      // Heat builds up fast once the fan stops, then levels towards a higher equilibrium.
      return x <= 1 ? -Math.expm1(-3 * x) / -Math.expm1(-3) : 1 + FAN_SLOPE_AT_FAILURE * (x - 1);
    default:
      return 0;
  }
}

const FAN_SLOPE_AT_FAILURE = (3 * Math.exp(-3)) / -Math.expm1(-3);

/** A typical onset-to-failure span (machine faults) or duration (data-quality faults) of `kind`, ms. */
export function drawSpan(kind: FaultKind, rng: Rng): number {
  const range = isMachineFault(kind) ? MACHINE_FAULTS[kind].spanMs : DATA_QUALITY_FAULTS[kind].durationMs;
  return Math.round(rng.uniform(range[0], range[1]) / 1000) * 1000;
}

/**
 * Places a fault of `kind` in a run from `start` to `end`: after a healthy learning period, and so that a
 * machine fault's planned failure and a data-quality fault's end fall inside the run. Runs too short for
 * the kind's usual span get a shorter one.
 */
export function placeFault(
  kind: FaultKind,
  start: number,
  end: number,
  rng: Rng,
): { onset: number; spanMs: number } {
  const runMs = end - start;
  const learningMs = Math.min(7 * DAY_MS, 0.15 * runMs);
  const marginMs = Math.min(DAY_MS, 0.05 * runMs);
  const available = runMs - learningMs - marginMs;
  let spanMs = drawSpan(kind, rng);
  if (spanMs > 0.9 * available) spanMs = available * rng.uniform(0.5, 0.9);
  const onset = start + learningMs + rng.uniform(0, available - spanMs);
  return { onset: Math.round(onset / 1000) * 1000, spanMs: Math.round(spanMs / 1000) * 1000 };
}
