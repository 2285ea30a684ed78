/**
 * The ground-truth file: every device, every injected fault with its onset and its failure (machine
 * faults) or end (data-quality faults), and the heat waves. Benchmarks score detectors against it.
 */
import type { FaultKind } from '../core/models.js';
import type { FaultCategory, PlannedFault } from './faults.js';
import { roundTo } from './format.js';
import type { FleetPlan } from './plan.js';

export interface TruthFault {
  device: string;
  model: string;
  kind: FaultKind;
  category: FaultCategory;
  /** The metric that degrades (machine faults) or freezes (sensor_stuck); null otherwise. */
  metric: string | null;
  onset: string;
  /** When the metric's noise-free level first reached the model's critical level (machine faults only). */
  failure: string | null;
  /** When a data-quality fault stops (null for machine faults, which do not heal by themselves). */
  end: string | null;
  /** How strong a data-quality fault is, where that varies. */
  detail?: { rate?: number; skewSeconds?: number; maxDelayReadings?: number };
}

export interface GroundTruth {
  start: string;
  end: string;
  seed: number;
  /** Reporting interval, simulated seconds. */
  intervalS: number;
  devices: Array<{ id: string; model: string; region: string; lat: number; lon: number }>;
  faults: TruthFault[];
  heatWaves: Array<{ region: string; start: string; end: string; deltaC: number }>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `failures` maps a device id to when its machine fault failed (null or missing: not yet). */
export function buildTruth(plan: FleetPlan, failures: ReadonlyMap<string, number | null>): GroundTruth {
  const models = new Map(plan.devices.map((device) => [device.id, device.model]));
  return {
    start: iso(plan.start),
    end: iso(plan.end),
    seed: plan.options.seed,
    intervalS: plan.options.intervalS,
    devices: plan.devices.map(({ id, model, region, lat, lon }) => ({ id, model, region, lat, lon })),
    faults: plan.faults.map((fault) =>
      truthFault(fault, models.get(fault.device) as string, failures.get(fault.device)),
    ),
    heatWaves: plan.heatWaves.map((wave) => ({
      region: wave.region,
      start: iso(wave.start),
      end: iso(wave.end),
      deltaC: roundTo(wave.deltaC, 2),
    })),
  };
}

function truthFault(fault: PlannedFault, model: string, failedAt: number | null | undefined): TruthFault {
  const entry: TruthFault = {
    device: fault.device,
    model,
    kind: fault.kind,
    category: fault.category,
    metric: fault.metric,
    onset: iso(fault.onset),
    failure: fault.category === 'machine' && failedAt != null ? iso(failedAt) : null,
    end: fault.end === null ? null : iso(fault.end),
  };
  const { rate, skewMs, maxDelayReadings } = fault.params;
  const detail: NonNullable<TruthFault['detail']> = {};
  if (rate !== undefined) detail.rate = rate;
  if (skewMs !== undefined) detail.skewSeconds = skewMs / 1000;
  if (maxDelayReadings !== undefined) detail.maxDelayReadings = maxDelayReadings;
  if (Object.keys(detail).length > 0) entry.detail = detail;
  return entry;
}

/** The file's text: stable key order, two-space indent, final newline. */
export function serializeTruth(truth: GroundTruth): string {
  return `${JSON.stringify(truth, null, 2)}\n`;
}
