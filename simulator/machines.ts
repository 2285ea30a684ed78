/**
 * How each product model runs, as simulation data: operating cycles, healthy levels at a reference
 * ambient temperature and thermal lags. Limits, metrics and vibration classes are not here: they are the
 * shared model profiles in core/models.ts, which the rules engine reads too.
 */
import { solarHour } from './climate.js';
import type { Rng } from './random.js';
import { HOUR_MS } from './time.js';

/** A thermostat holds a space (a room, a fridge cabinet) between two temperatures by switching a compressor. */
export interface ThermostatCycle {
  kind: 'thermostat';
  setpointC: number;
  /** The compressor starts above setpoint + hysteresis and stops below setpoint − hysteresis. */
  hysteresisC: number;
  /** Time constant of the heat leak between the space and the air around the unit, hours. */
  insulationTauH: number;
  /** How fast a healthy compressor cools the space, °C per hour. */
  coolingCPerH: number;
  /** Heat from people, goods and door openings, °C per hour, in opening hours and at night. */
  gainDayCPerH: number;
  gainNightCPerH: number;
  /** Report the controlled temperature as this metric (a fridge's cabinet air). */
  reportAs?: string;
}

/** Wash programs started a few times a day within opening hours, each a fixed sequence of phases. */
export interface ProgramCycle {
  kind: 'programs';
  programsPerDay: readonly [number, number];
  /** Opening hours (local solar time) in which programs start. */
  firstHour: number;
  lastHour: number;
  phases: ReadonlyArray<{
    minutes: readonly [number, number];
    /** Thermal and electrical load, 0–1. */
    load: number;
    /** Drum speed: the wash speed or the unit's spin speed. */
    drum: 'wash' | 'spin';
    /** Share of the full running vibration. */
    vibration: number;
  }>;
  washRpm: number;
  spinRpm: readonly [number, number];
}

/** Runs around the clock with a load that follows daily demand and wanders slowly. */
export interface ContinuousDuty {
  kind: 'continuous';
  baseLoad: readonly [number, number];
  /** Amplitude of the daily demand swing (peak mid-afternoon). */
  dailySwing: number;
  /** Random-walk strength, load units per √hour, pulled back with `reversionH`. */
  walkPerSqrtH: number;
  reversionH: number;
}

export interface SimModel {
  /** Id of the model profile in core/models.ts. */
  modelId: string;
  /** Relative share of a generated fleet. */
  fleetShare: number;
  cycle: ThermostatCycle | ProgramCycle | ContinuousDuty;
  /** Air temperature at which the levels below hold. */
  referenceAmbientC: number;
  /** Operating load at which a fault of severity 1 puts its metric exactly at the critical level. */
  referenceLoad: number;
  /** Vibration RMS, mm/s, standing still and at full running vibration. */
  vibration: { idle: number; running: number };
  /** `temperature_c` at idle and at full load (steady state), and its thermal time constant. */
  temperature: { idle: number; running: number; tauS: number };
  /** Electrical current at idle and full load; `perAmbientC` adds load-weighted amps per °C above reference. */
  current?: { idle: number; running: number; perAmbientC: number };
}

export const SIM_MODELS: Record<string, SimModel> = {
  'AC-2000': {
    modelId: 'AC-2000',
    fleetShare: 0.35,
    cycle: {
      kind: 'thermostat',
      setpointC: 23,
      hysteresisC: 0.5,
      insulationTauH: 2,
      coolingCPerH: 8,
      gainDayCPerH: 2,
      gainNightCPerH: 0.3,
    },
    referenceAmbientC: 25,
    referenceLoad: 1,
    vibration: { idle: 0.05, running: 0.5 },
    temperature: { idle: 27, running: 45, tauS: 150 },
    current: { idle: 0.2, running: 6.5, perAmbientC: 0.08 },
  },
  'FR-300': {
    modelId: 'FR-300',
    fleetShare: 0.3,
    cycle: {
      kind: 'thermostat',
      setpointC: 4,
      hysteresisC: 1,
      insulationTauH: 4,
      coolingCPerH: 12,
      gainDayCPerH: 1.5,
      gainNightCPerH: 0.3,
      reportAs: 'cabinet_c',
    },
    referenceAmbientC: 22,
    referenceLoad: 1,
    vibration: { idle: 0.04, running: 0.32 },
    temperature: { idle: 30, running: 45, tauS: 360 },
  },
  'WM-800': {
    modelId: 'WM-800',
    fleetShare: 0.15,
    cycle: {
      kind: 'programs',
      programsPerDay: [2, 8],
      firstHour: 7,
      lastHour: 22,
      phases: [
        { minutes: [30, 50], load: 0.45, drum: 'wash', vibration: 0.3 },
        { minutes: [10, 20], load: 0.35, drum: 'wash', vibration: 0.3 },
        { minutes: [6, 10], load: 1, drum: 'spin', vibration: 1 },
      ],
      washRpm: 50,
      spinRpm: [1000, 1200],
    },
    referenceAmbientC: 22,
    // Programs are too short for the spin to reach its steady temperature; the wash phase does.
    referenceLoad: 0.45,
    vibration: { idle: 0.03, running: 1.5 },
    temperature: { idle: 24, running: 56, tauS: 600 },
  },
  'PU-55': {
    modelId: 'PU-55',
    fleetShare: 0.2,
    cycle: { kind: 'continuous', baseLoad: [0.7, 0.82], dailySwing: 0.08, walkPerSqrtH: 0.02, reversionH: 6 },
    referenceAmbientC: 20,
    referenceLoad: 0.8,
    vibration: { idle: 0.1, running: 1.45 },
    temperature: { idle: 30, running: 52, tauS: 1200 },
    current: { idle: 2, running: 110, perAmbientC: 0 },
  },
};

export const SIM_MODEL_IDS = Object.keys(SIM_MODELS);

/** The operating state of one unit, advanced once per reporting interval. */
export interface Operation {
  /** Thermal and electrical load, 0 (idle) to 1 (full). */
  readonly load: number;
  /** Rotational speed relative to nominal, 0–1: bearing and imbalance vibration scale with it. */
  readonly speed: number;
  /** Share of the full running vibration present now, 0–1. */
  readonly vibrationLoad: number;
  /** Drum or shaft speed in rpm, where the model reports one. */
  readonly rpm: number;
  /** The controlled space's temperature, where the model has one (NaN otherwise). */
  readonly controlledC: number;
  /** `capacity` (0–1) is the share of cooling the unit still delivers: faults take it away. */
  advance(t: number, dtS: number, ambientC: number, capacity: number): void;
}

class ThermostatOperation implements Operation {
  load = 0;
  speed = 0;
  vibrationLoad = 0;
  readonly rpm = 0;
  controlledC: number;
  private hour = -1;
  private gainFactor = 1;

  constructor(
    private readonly cycle: ThermostatCycle,
    private readonly lon: number,
    private readonly rng: Rng,
  ) {
    this.controlledC = cycle.setpointC + rng.uniform(-cycle.hysteresisC, cycle.hysteresisC);
    this.setRunning(rng.chance(0.5));
  }

  advance(t: number, dtS: number, ambientC: number, capacity: number): void {
    const { cycle } = this;
    const hour = Math.floor(t / HOUR_MS);
    if (hour !== this.hour) {
      // Occupancy and door openings vary from hour to hour.
      this.hour = hour;
      this.gainFactor = this.rng.uniform(0.5, 1.5);
    }
    const local = solarHour(t, this.lon);
    const gain = (local >= 8 && local < 20 ? cycle.gainDayCPerH : cycle.gainNightCPerH) * this.gainFactor;
    const cooling = this.load * cycle.coolingCPerH * capacity;
    const ratePerH = (ambientC - this.controlledC) / cycle.insulationTauH + gain - cooling;
    this.controlledC += (ratePerH * dtS) / 3600;
    if (this.load === 1 && this.controlledC <= cycle.setpointC - cycle.hysteresisC) this.setRunning(false);
    else if (this.load === 0 && this.controlledC >= cycle.setpointC + cycle.hysteresisC)
      this.setRunning(true);
  }

  private setRunning(on: boolean): void {
    this.load = on ? 1 : 0;
    this.speed = this.load;
    this.vibrationLoad = this.load;
  }
}

class ProgramOperation implements Operation {
  load = 0;
  speed = 0;
  vibrationLoad = 0;
  rpm = 0;
  readonly controlledC = Number.NaN;
  private phase = -1;
  private phaseEnd = 0;
  private nextStart: number;
  private readonly spinRpm: number;
  private readonly meanGapMs: number;

  constructor(
    private readonly cycle: ProgramCycle,
    private readonly lon: number,
    private readonly rng: Rng,
    start: number,
  ) {
    this.spinRpm = Math.round(rng.uniform(cycle.spinRpm[0], cycle.spinRpm[1]) / 50) * 50;
    const openHours = cycle.lastHour - cycle.firstHour;
    this.meanGapMs = (openHours * HOUR_MS) / rng.uniform(cycle.programsPerDay[0], cycle.programsPerDay[1]);
    this.nextStart = this.withinOpeningHours(start + rng.exponential(this.meanGapMs));
  }

  advance(t: number): void {
    if (this.phase < 0 && t >= this.nextStart) this.enterPhase(0, t);
    else if (this.phase >= 0 && t >= this.phaseEnd) {
      if (this.phase + 1 < this.cycle.phases.length) this.enterPhase(this.phase + 1, t);
      else {
        this.phase = -1;
        this.load = 0;
        this.speed = 0;
        this.vibrationLoad = 0;
        this.rpm = 0;
        this.nextStart = this.withinOpeningHours(t + 10 * 60_000 + this.rng.exponential(this.meanGapMs));
      }
    }
  }

  private enterPhase(index: number, t: number): void {
    const phase = this.cycle.phases[index];
    this.phase = index;
    this.phaseEnd = t + this.rng.uniform(phase.minutes[0], phase.minutes[1]) * 60_000;
    this.load = phase.load;
    this.rpm = phase.drum === 'spin' ? this.spinRpm : this.cycle.washRpm;
    this.speed = this.rpm / this.spinRpm;
    this.vibrationLoad = phase.vibration;
  }

  /** Moves a start time outside opening hours to a random time early on the next opening. */
  private withinOpeningHours(t: number): number {
    const local = solarHour(t, this.lon);
    if (local >= this.cycle.firstHour && local < this.cycle.lastHour) return t;
    const hoursToOpening = (this.cycle.firstHour - local + 24) % 24;
    return t + hoursToOpening * HOUR_MS + this.rng.uniform(0, 2) * HOUR_MS;
  }
}

class ContinuousOperation implements Operation {
  load: number;
  readonly speed = 1;
  readonly vibrationLoad = 1;
  readonly rpm = 0;
  readonly controlledC = Number.NaN;
  private walk = 0;
  private readonly baseLoad: number;

  constructor(
    private readonly cycle: ContinuousDuty,
    private readonly lon: number,
    private readonly rng: Rng,
  ) {
    this.baseLoad = rng.uniform(cycle.baseLoad[0], cycle.baseLoad[1]);
    this.load = this.baseLoad;
  }

  advance(t: number, dtS: number): void {
    const { cycle } = this;
    const dtH = dtS / 3600;
    this.walk +=
      -this.walk * (dtH / cycle.reversionH) + cycle.walkPerSqrtH * Math.sqrt(dtH) * this.rng.normal();
    const demand = cycle.dailySwing * Math.sin((2 * Math.PI * (solarHour(t, this.lon) - 9)) / 24);
    this.load = Math.min(1, Math.max(0.3, this.baseLoad + demand + this.walk));
  }
}

/** A fresh operating state for one unit of `model` at site longitude `lon`, drawing its randomness from `rng`. */
export function createOperation(model: SimModel, lon: number, rng: Rng, start: number): Operation {
  const { cycle } = model;
  if (cycle.kind === 'thermostat') return new ThermostatOperation(cycle, lon, rng);
  if (cycle.kind === 'programs') return new ProgramOperation(cycle, lon, rng, start);
  return new ContinuousOperation(cycle, lon, rng);
}
