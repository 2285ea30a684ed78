/**
 * How simulated values are written: the metric columns in their fixed order and each metric's decimals.
 * Fixed decimals keep files compact and make equal runs byte-identical.
 */
import { modelProfile } from '../core/models.js';
import { SIM_MODEL_IDS } from './machines.js';

/** The metrics every CSV starts with, in this order; the others follow alphabetically. */
const CORE_METRICS = ['vibration_rms', 'temperature_c', 'ambient_c'] as const;

/** The union of the simulated models' metrics, in the fixed column order. */
export function metricColumns(): string[] {
  const others = new Set<string>();
  for (const id of SIM_MODEL_IDS)
    for (const metric of Object.keys(modelProfile(id)?.metrics ?? {})) others.add(metric);
  for (const core of CORE_METRICS) others.delete(core);
  return [...CORE_METRICS, ...[...others].sort()];
}

const METRIC_DECIMALS: Record<string, number> = {
  vibration_rms: 3,
  temperature_c: 2,
  ambient_c: 2,
  cabinet_c: 2,
  current_a: 2,
  rpm: 0,
};

/** Decimals a metric is written with (3 unless listed). */
export function metricDecimals(metric: string): number {
  return METRIC_DECIMALS[metric] ?? 3;
}

/** Rounds half away from zero, exactly as the CSV writer does, so files and live payloads agree. */
export function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  const rounded = Math.round(Math.abs(value) * scale) / scale;
  return value < 0 ? -rounded : rounded;
}
