/** What a detector concluded about one device and metric. Detectors produce these; tickets consume them. */

export type FindingCategory = 'machine' | 'data_quality';
export type Severity = 'info' | 'warning' | 'critical';

/** Fault codes; machine faults first, then data-quality faults, which never count as machine faults. */
export const MACHINE_FAULT_CODES = [
  'VIB-ZONE-C',
  'VIB-ZONE-D',
  'VIB-STEP',
  'VIB-DRIFT',
  'VIB-TREND',
  'TEMP-HIGH',
  'TEMP-DRIFT',
  'TEMP-TREND',
] as const;
export const DATA_QUALITY_FAULT_CODES = [
  'SENSOR-STUCK',
  'SENSOR-IMPOSSIBLE',
  'DATA-GAP',
  'OFFLINE',
  'CLOCK-SKEW',
] as const;

export type FaultCode = (typeof MACHINE_FAULT_CODES)[number] | (typeof DATA_QUALITY_FAULT_CODES)[number];

export function faultCategory(code: string): FindingCategory {
  return (DATA_QUALITY_FAULT_CODES as readonly string[]).includes(code) ? 'data_quality' : 'machine';
}

export interface FindingEvidence {
  /** The unit's learned normal level. */
  baseline?: number;
  /** The unit's learned spread (robust standard deviation). */
  spread?: number;
  /** The level that triggered the finding (smoothed where the detector smooths). */
  current: number;
  /** current − baseline. */
  change?: number;
  /** Trend slope, metric units per hour. */
  slopePerHour?: number;
  /** ISO 10816 zone, for vibration. */
  zone?: string;
  /** The limit that was crossed, where one was. */
  limit?: number;
  /** Anything else the detector wants a person to see. */
  note?: string;
}

export interface Finding {
  device: string;
  model: string;
  metric: string;
  faultCode: FaultCode;
  category: FindingCategory;
  severity: Severity;
  /** `active` while the condition holds; `cleared` once the clear condition is met. */
  state: 'active' | 'cleared';
  /** Data time of the reading (or check) that produced it, epoch ms. */
  at: number;
  evidence: FindingEvidence;
  /** When the metric is predicted to reach the model's critical level, epoch ms, or null. */
  predictedFailureAt: number | null;
  /** ± hours around predictedFailureAt, where a prediction exists. */
  predictionUncertaintyHours: number | null;
}
