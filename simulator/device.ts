/**
 * One simulated unit: its operating cycle, thermal state, machine fault and sensors. `step(t)` advances it
 * by one reporting interval and leaves two views of the metrics: `clean`, the noise-free physical level,
 * and `measured`, what the sensors read (noise and rare spikes added).
 */
import {
  criticalLevel,
  ISO_10816_ZONES,
  type MachineFaultKind,
  type ModelProfile,
  modelProfile,
} from '../core/models.js';
import type { Weather } from './climate.js';
import {
  isMachineFault,
  MACHINE_FAULTS,
  type MachineFaultSpec,
  machineSeverity,
  type PlannedFault,
} from './faults.js';
import { createOperation, type Operation, SIM_MODELS, type SimModel } from './machines.js';
import type { PlannedDevice } from './plan.js';
import { deriveSeed, Rng } from './random.js';
import { HOUR_MS } from './time.js';

/** Sensor behaviour shared by all models. */
const SENSOR = {
  vibrationRelative: 0.04,
  vibrationAbsolute: 0.004,
  temperatureC: 0.15,
  ambientC: 0.1,
  currentRelative: 0.015,
  rpmRelative: 0.005,
  cabinetC: 0.08,
  /** Chance per reading of a one-off spike (a knock, electrical interference): about one a day at 10 s. */
  spikeProbability: 1e-4,
};

/** Column positions of the metrics a device may report (-1 when its model lacks the metric). */
interface Slots {
  vibration: number;
  temperature: number;
  ambient: number;
  current: number;
  rpm: number;
  cabinet: number;
}

export class DeviceSimulator {
  /** Noise-free level of each metric column (NaN for metrics the model does not report). */
  readonly clean: Float64Array;
  /** What the sensors read, by column (NaN for metrics the model does not report). */
  readonly measured: Float64Array;
  /** Columns of the metrics this unit's model reports. */
  readonly reportedSlots: number[];
  /** When the machine fault's metric first reached the critical level, epoch ms; null while it has not. */
  failedAt: number | null = null;

  private readonly model: SimModel;
  private readonly profile: ModelProfile;
  private readonly slots: Slots;
  private readonly operation: Operation;
  private readonly scheduleRng: Rng;
  private readonly noiseRng: Rng;
  private readonly dtS: number;
  private readonly thermalStep: number;
  private temperatureC: number;

  // Per-unit differences: units of one model are never identical.
  private readonly vibrationFactor: number;
  private readonly temperatureOffsetC: number;
  private readonly currentFactor: number;
  private readonly siteOffsetC: number;

  private readonly fault: PlannedFault | null;
  private readonly faultKind: MachineFaultKind | null;
  private readonly faultSpec: MachineFaultSpec | null;
  private readonly faultMetricSlot: number;
  private readonly critical: number;
  /**
   * Fault vibration (mm/s) and temperature rise (°C) at severity 1 under reference conditions: full
   * running and, for temperature faults, the site's usual air temperature just before the planned failure.
   */
  private readonly vibrationAmplitude: number;
  private readonly temperatureAmplitude: number;
  /** Severity right after onset (the step of imbalance and loose mounting). */
  private readonly stepSeverity: number;
  private severityCap = Number.POSITIVE_INFINITY;

  constructor(
    readonly device: PlannedDevice,
    columns: readonly string[],
    private readonly weather: Weather,
    fault: PlannedFault | null,
    intervalMs: number,
    seed: number,
    start: number,
  ) {
    const model = SIM_MODELS[device.model];
    const profile = modelProfile(device.model);
    if (!model || !profile) throw new Error(`model '${device.model}' cannot be simulated`);
    this.model = model;
    this.profile = profile;
    const slot = (metric: string) => (Object.hasOwn(profile.metrics, metric) ? columns.indexOf(metric) : -1);
    this.slots = {
      vibration: slot('vibration_rms'),
      temperature: slot('temperature_c'),
      ambient: slot('ambient_c'),
      current: slot('current_a'),
      rpm: slot('rpm'),
      cabinet: slot('cabinet_c'),
    };
    this.reportedSlots = Object.values(this.slots).filter((position) => position >= 0);
    this.clean = new Float64Array(columns.length).fill(Number.NaN);
    this.measured = new Float64Array(columns.length).fill(Number.NaN);

    const unitRng = new Rng(deriveSeed(seed, 'device', device.index, 'unit'));
    this.vibrationFactor = unitRng.uniform(0.8, 1.2);
    this.temperatureOffsetC = unitRng.uniform(-2.5, 2.5);
    this.currentFactor = unitRng.uniform(0.92, 1.08);
    this.siteOffsetC = unitRng.uniform(-1.5, 1.5);
    this.scheduleRng = new Rng(deriveSeed(seed, 'device', device.index, 'schedule'));
    this.noiseRng = new Rng(deriveSeed(seed, 'device', device.index, 'noise'));
    this.operation = createOperation(model, device.lon, this.scheduleRng, start);
    this.dtS = intervalMs / 1000;
    this.thermalStep = -Math.expm1(-this.dtS / model.temperature.tauS);
    this.temperatureC = this.healthyTemperatureTarget(this.operation.load, model.referenceAmbientC);

    this.fault = fault && isMachineFault(fault.kind) ? fault : null;
    this.faultKind = this.fault ? (this.fault.kind as MachineFaultKind) : null;
    this.faultSpec = this.faultKind ? MACHINE_FAULTS[this.faultKind] : null;
    this.faultMetricSlot = this.faultSpec ? columns.indexOf(this.faultSpec.metric) : -1;
    this.critical = this.faultSpec ? (criticalLevel(profile, this.faultSpec.metric) as number) : Number.NaN;

    // Calibrate the fault so that severity 1 under reference conditions is exactly the critical level.
    const zones = ISO_10816_ZONES[profile.vibrationClass];
    const runningVibration = model.vibration.running * this.vibrationFactor;
    this.vibrationAmplitude = Math.sqrt(zones.cd ** 2 - runningVibration ** 2);
    if (this.faultKind && this.faultSpec?.metric === 'temperature_c') {
      const fault = this.fault as PlannedFault;
      const ambientC = this.typicalAmbientBefore(
        fault.plannedFailure as number,
        (fault.plannedFailure as number) - fault.onset,
      );
      this.temperatureAmplitude =
        (profile.temperature.criticalC - this.healthyTemperatureTarget(model.referenceLoad, ambientC)) /
        this.temperatureFaultGain(this.faultKind, model.referenceLoad, ambientC);
    } else this.temperatureAmplitude = 0;
    const stepZoneC = this.fault?.params.stepZoneC;
    const stepLevel = stepZoneC === undefined ? 0 : zones.bc + stepZoneC * (zones.cd - zones.bc);
    this.stepSeverity =
      stepLevel > runningVibration
        ? Math.sqrt(stepLevel ** 2 - runningVibration ** 2) / this.vibrationAmplitude
        : 0;
  }

  /** The machine fault this unit suffers, if any. */
  get machineFault(): PlannedFault | null {
    return this.fault;
  }

  /** Advances to reading time `t` (epoch ms, one interval after the previous step). */
  step(t: number): void {
    const { model, slots, operation, clean, measured, noiseRng } = this;
    const ambientC = this.weather.ambientC(this.device.regionIndex, t) + this.siteOffsetC;
    const kind = this.faultKind;
    const spec = this.faultSpec;
    const severity = this.fault
      ? Math.min(machineSeverity(this.fault, this.stepSeverity, t), this.severityCap)
      : 0;
    const capacity = spec ? 1 - spec.capacityLoss * Math.min(severity, 1.2) : 1;
    operation.advance(t, this.dtS, ambientC, capacity);
    const load = operation.load;

    // Temperature: a first-order thermal lag towards the level the load, the weather and any fault set.
    let target = this.healthyTemperatureTarget(load, ambientC);
    if (kind && spec?.metric === 'temperature_c') {
      target += severity * this.temperatureAmplitude * this.temperatureFaultGain(kind, load, ambientC);
    } else if (kind === 'bearing_wear' && model.cycle.kind === 'continuous') {
      // Worn bearings of a continuously running motor also run warmer.
      target += 6 * severity * severity;
    }
    // An overheating unit trips its thermal protection: the temperature stops rising well inside the sensor range.
    target = Math.min(target, this.profile.temperature.criticalC + THERMAL_CUTOUT_ABOVE_CRITICAL_C);
    this.temperatureC += (target - this.temperatureC) * this.thermalStep;

    // Vibration: independent sources add in quadrature.
    const healthyVibration =
      (model.vibration.idle + (model.vibration.running - model.vibration.idle) * operation.vibrationLoad) *
      this.vibrationFactor;
    let faultVibration = 0;
    if (kind === 'bearing_wear') faultVibration = severity * this.vibrationAmplitude * operation.speed;
    else if (kind === 'imbalance') faultVibration = severity * this.vibrationAmplitude * operation.speed ** 2;
    else if (kind === 'loose_mount')
      faultVibration = severity * this.vibrationAmplitude * operation.vibrationLoad;
    const vibration = Math.sqrt(healthyVibration ** 2 + faultVibration ** 2);

    const spike = noiseRng.next() < SENSOR.spikeProbability;
    const spikeOnVibration = noiseRng.next() < 0.5;
    // A loose unit rattles: its readings scatter more.
    const rattle = kind === 'loose_mount' && severity > 0 ? 2.5 : 1;
    clean[slots.vibration] = vibration;
    let vibrationReading =
      vibration * (1 + SENSOR.vibrationRelative * rattle * noiseRng.normal()) +
      SENSOR.vibrationAbsolute * noiseRng.normal();
    if (spike && spikeOnVibration) vibrationReading *= noiseRng.uniform(1.5, 2.5);
    measured[slots.vibration] = Math.max(0, vibrationReading);

    clean[slots.temperature] = this.temperatureC;
    let temperatureReading = this.temperatureC + SENSOR.temperatureC * noiseRng.normal();
    if (spike && !spikeOnVibration) temperatureReading += noiseRng.uniform(2, 5);
    measured[slots.temperature] = temperatureReading;

    clean[slots.ambient] = ambientC;
    measured[slots.ambient] = ambientC + SENSOR.ambientC * noiseRng.normal();

    if (slots.current >= 0 && model.current) {
      const c = model.current;
      let amps =
        (c.idle + (c.running - c.idle) * load + c.perAmbientC * (ambientC - model.referenceAmbientC) * load) *
        this.currentFactor;
      if (kind) amps += c.running * load * CURRENT_EFFECT[kind] * severity;
      clean[slots.current] = amps;
      measured[slots.current] = Math.max(0, amps * (1 + SENSOR.currentRelative * noiseRng.normal()));
    }
    if (slots.rpm >= 0) {
      clean[slots.rpm] = operation.rpm;
      measured[slots.rpm] = Math.max(0, operation.rpm * (1 + SENSOR.rpmRelative * noiseRng.normal()));
    }
    if (slots.cabinet >= 0) {
      clean[slots.cabinet] = operation.controlledC;
      measured[slots.cabinet] = operation.controlledC + SENSOR.cabinetC * noiseRng.normal();
    }

    if (
      spec &&
      this.failedAt === null &&
      t >= (this.fault as PlannedFault).onset &&
      clean[this.faultMetricSlot] >= this.critical
    ) {
      this.failedAt = t;
      // After the failure the fault stops worsening past a plausible cap, but never falls back.
      this.severityCap = Math.max(severity, spec.severityCap);
    }
  }

  /** Mean air temperature at the site over the `spanMs` (at most a day) before `t`, heat waves left out. */
  private typicalAmbientBefore(t: number, spanMs: number): number {
    const samples = 24;
    const step = Math.min(spanMs, 24 * HOUR_MS) / samples;
    let sum = 0;
    for (let i = 1; i <= samples; i++)
      sum += this.weather.normalAmbientC(this.device.regionIndex, t - i * step);
    return sum / samples + this.siteOffsetC;
  }

  private healthyTemperatureTarget(load: number, ambientC: number): number {
    const { temperature, referenceAmbientC } = this.model;
    return (
      temperature.idle +
      (temperature.running - temperature.idle) * load +
      this.profile.ambientCoupling * (ambientC - referenceAmbientC) +
      this.temperatureOffsetC
    );
  }

  /** How strongly a temperature fault shows: more under load, and for refrigeration faults more in heat. */
  private temperatureFaultGain(kind: MachineFaultKind, load: number, ambientC: number): number {
    const heat = ambientC - this.model.referenceAmbientC;
    if (kind === 'refrigerant_leak') return (0.3 + 0.7 * load) * Math.max(0.3, 1 + 0.03 * heat);
    if (kind === 'condenser_fouling') return (0.3 + 0.7 * load) * Math.max(0.3, 1 + 0.06 * heat);
    return (0.25 + 0.75 * load) * Math.max(0.3, 1 + 0.02 * heat);
  }
}

/** How far past the critical temperature a failing unit can heat before its thermal protection cuts out, °C. */
const THERMAL_CUTOUT_ABOVE_CRITICAL_C = 25;

/** Extra current per unit of fault severity, as a share of full-load current. */
const CURRENT_EFFECT: Record<MachineFaultKind, number> = {
  bearing_wear: 0.05,
  imbalance: 0.03,
  loose_mount: 0,
  refrigerant_leak: -0.15,
  condenser_fouling: 0.25,
  fan_failure: 0.1,
};
