/**
 * Product model profiles as data: which metrics a model reports, their normal and physical ranges,
 * the ISO 10816-1 vibration class and the temperature limits. The simulator draws its devices from
 * these and the rules engine reads its limits from the same objects.
 */

export type VibrationClass = 'I' | 'II' | 'III' | 'IV';

/** ISO 10816-1 zone boundaries (RMS velocity, mm/s, 10–1000 Hz): A/B, B/C, C/D. */
export const ISO_10816_ZONES: Record<VibrationClass, { ab: number; bc: number; cd: number }> = {
  I: { ab: 0.71, bc: 1.8, cd: 4.5 },
  II: { ab: 1.12, bc: 2.8, cd: 7.1 },
  III: { ab: 1.8, bc: 4.5, cd: 11.2 },
  IV: { ab: 2.8, bc: 7.1, cd: 18 },
};

export type VibrationZone = 'A' | 'B' | 'C' | 'D';

export function vibrationZone(cls: VibrationClass, rms: number): VibrationZone {
  const z = ISO_10816_ZONES[cls];
  if (rms < z.ab) return 'A';
  if (rms < z.bc) return 'B';
  if (rms < z.cd) return 'C';
  return 'D';
}

export interface MetricProfile {
  /** Unit shown to people. */
  unit: string;
  /** What the sensor measures on this model. */
  description: string;
  /** Typical healthy operating range. */
  normal: { min: number; max: number };
  /** Values outside this range cannot come from a working sensor. */
  physical: { min: number; max: number };
}

export type MachineFaultKind =
  | 'bearing_wear'
  | 'imbalance'
  | 'loose_mount'
  | 'refrigerant_leak'
  | 'condenser_fouling'
  | 'fan_failure';

export type DataQualityFaultKind =
  | 'sensor_stuck'
  | 'dropout'
  | 'offline'
  | 'clock_skew'
  | 'duplicates'
  | 'out_of_order';

export type FaultKind = MachineFaultKind | DataQualityFaultKind;

export const MACHINE_FAULT_KINDS: readonly MachineFaultKind[] = [
  'bearing_wear',
  'imbalance',
  'loose_mount',
  'refrigerant_leak',
  'condenser_fouling',
  'fan_failure',
];

export const DATA_QUALITY_FAULT_KINDS: readonly DataQualityFaultKind[] = [
  'sensor_stuck',
  'dropout',
  'offline',
  'clock_skew',
  'duplicates',
  'out_of_order',
];

export interface ModelProfile {
  id: string;
  name: string;
  kind: 'air_conditioner' | 'fridge' | 'washer' | 'pump';
  /** Every metric this model reports; `vibration_rms` and `temperature_c` always among them. */
  metrics: Record<string, MetricProfile>;
  vibrationClass: VibrationClass;
  /** `temperature_c` limits: above `warningC` is abnormal, at `criticalC` the unit is failing. */
  temperature: { warningC: number; criticalC: number };
  /** How many °C `temperature_c` rises per °C of ambient: context for telling weather from faults. */
  ambientCoupling: number;
  /** The machine faults this kind of product suffers. */
  machineFaults: readonly MachineFaultKind[];
}

const VIBRATION = (normalMax: number): MetricProfile => ({
  unit: 'mm/s',
  description: 'vibration severity, RMS velocity 10–1000 Hz',
  normal: { min: 0.1, max: normalMax },
  physical: { min: 0, max: 100 },
});

const AMBIENT: MetricProfile = {
  unit: '°C',
  description: 'air temperature around the unit',
  normal: { min: -10, max: 40 },
  physical: { min: -50, max: 70 },
};

export const MODEL_PROFILES: Record<string, ModelProfile> = {
  'AC-2000': {
    id: 'AC-2000',
    name: 'Split air conditioner, outdoor unit',
    kind: 'air_conditioner',
    vibrationClass: 'I',
    metrics: {
      vibration_rms: VIBRATION(1.2),
      temperature_c: {
        unit: '°C',
        description: 'condenser discharge line temperature',
        normal: { min: 30, max: 60 },
        physical: { min: -40, max: 150 },
      },
      ambient_c: AMBIENT,
      current_a: {
        unit: 'A',
        description: 'compressor current',
        normal: { min: 0, max: 9 },
        physical: { min: 0, max: 60 },
      },
    },
    temperature: { warningC: 68, criticalC: 78 },
    ambientCoupling: 0.9,
    machineFaults: [
      'bearing_wear',
      'imbalance',
      'loose_mount',
      'refrigerant_leak',
      'condenser_fouling',
      'fan_failure',
    ],
  },
  'FR-300': {
    id: 'FR-300',
    name: 'Commercial fridge',
    kind: 'fridge',
    vibrationClass: 'I',
    metrics: {
      vibration_rms: VIBRATION(0.8),
      temperature_c: {
        unit: '°C',
        description: 'compressor shell temperature',
        normal: { min: 25, max: 55 },
        physical: { min: -40, max: 150 },
      },
      ambient_c: AMBIENT,
      cabinet_c: {
        unit: '°C',
        description: 'cabinet air temperature',
        normal: { min: 1, max: 7 },
        physical: { min: -40, max: 60 },
      },
    },
    temperature: { warningC: 65, criticalC: 75 },
    ambientCoupling: 0.7,
    machineFaults: ['bearing_wear', 'loose_mount', 'refrigerant_leak', 'condenser_fouling', 'fan_failure'],
  },
  'WM-800': {
    id: 'WM-800',
    name: 'Washing machine',
    kind: 'washer',
    vibrationClass: 'II',
    metrics: {
      vibration_rms: VIBRATION(2.0),
      temperature_c: {
        unit: '°C',
        description: 'drive motor temperature',
        normal: { min: 20, max: 60 },
        physical: { min: -40, max: 150 },
      },
      ambient_c: AMBIENT,
      rpm: {
        unit: 'rpm',
        description: 'drum speed',
        normal: { min: 0, max: 1400 },
        physical: { min: 0, max: 2000 },
      },
    },
    temperature: { warningC: 75, criticalC: 90 },
    ambientCoupling: 0.5,
    machineFaults: ['bearing_wear', 'imbalance', 'loose_mount', 'fan_failure'],
  },
  'PU-55': {
    id: 'PU-55',
    name: 'Circulation pump, 55 kW',
    kind: 'pump',
    vibrationClass: 'II',
    metrics: {
      vibration_rms: VIBRATION(2.2),
      temperature_c: {
        unit: '°C',
        description: 'motor bearing temperature',
        normal: { min: 30, max: 65 },
        physical: { min: -40, max: 180 },
      },
      ambient_c: AMBIENT,
      current_a: {
        unit: 'A',
        description: 'motor current',
        normal: { min: 60, max: 110 },
        physical: { min: 0, max: 400 },
      },
    },
    temperature: { warningC: 80, criticalC: 95 },
    ambientCoupling: 0.6,
    machineFaults: ['bearing_wear', 'imbalance', 'loose_mount', 'fan_failure'],
  },
};

export const MODEL_IDS = Object.keys(MODEL_PROFILES);

export function modelProfile(id: string): ModelProfile | undefined {
  return Object.hasOwn(MODEL_PROFILES, id) ? MODEL_PROFILES[id] : undefined;
}

/** The level at which a metric counts as failed on this model, if the model defines one. */
export function criticalLevel(profile: ModelProfile, metric: string): number | undefined {
  if (metric === 'vibration_rms') return ISO_10816_ZONES[profile.vibrationClass].cd;
  if (metric === 'temperature_c') return profile.temperature.criticalC;
  return undefined;
}
