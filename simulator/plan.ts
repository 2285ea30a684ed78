/**
 * The fleet plan: which devices exist (model, region, site), which faults they will suffer and when,
 * and the heat waves. It is drawn from the options and seed alone, before any reading is generated.
 */
import { z } from 'zod';
import {
  DATA_QUALITY_FAULT_KINDS,
  type FaultKind,
  MACHINE_FAULT_KINDS,
  modelProfile,
} from '../core/models.js';
import { DEVICE_ID_PATTERN } from '../core/wire.js';
import { type HeatWave, planHeatWaves, REGIONS, type Region } from './climate.js';
import {
  ALL_FAULT_KINDS,
  DEFAULT_FAULT_MIX,
  drawFaultParams,
  drawSpan,
  type FaultParams,
  faultKindCategory,
  isMachineFault,
  MACHINE_FAULTS,
  type PlannedFault,
  placeFault,
} from './faults.js';
import { roundTo as round } from './format.js';
import { SIM_MODEL_IDS, SIM_MODELS } from './machines.js';
import { deriveSeed, Rng } from './random.js';
import { DAY_MS } from './time.js';

/** Where runs start unless told otherwise: fixed, so the same options give the same files on any day. */
export const DEFAULT_START = Date.parse('2025-06-01T00:00:00.000Z');

const faultKind = z.enum(ALL_FAULT_KINDS as [FaultKind, ...FaultKind[]]);
const modelId = z.string().refine((id) => Object.hasOwn(SIM_MODELS, id), {
  message: `must be one of ${SIM_MODEL_IDS.join(', ')}`,
});

export const simulationOptionsSchema = z
  .object({
    /** How many devices. */
    devices: z.number().int().min(1).max(100_000),
    /** How long the run lasts, days (fractions allowed). */
    days: z.number().positive().max(3650),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /** Reporting interval of every device, simulated seconds. */
    intervalS: z.number().min(1).max(3600).default(10),
    /** Simulated start, epoch ms. */
    start: z.number().int().default(DEFAULT_START),
    /** Share of devices that get a fault (0–1); ignored when `faults` lists them. */
    faulty: z.number().min(0).max(1).default(0.1),
    /** Relative weight of each fault kind among the faulty devices; kinds left out are not injected. */
    faultMix: z.partialRecord(faultKind, z.number().min(0)).default(DEFAULT_FAULT_MIX),
    /** Device ids are `<prefix>-0001`, `<prefix>-0002`, … */
    idPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, 'letters, digits, . _ - only')
      .default('sim'),
    /** The model of each device, in order (default: drawn by each model's fleet share). */
    deviceModels: z.array(modelId).optional(),
    /** Exactly these faults instead of random ones. */
    faults: z
      .array(
        z.object({
          device: z.number().int().min(0),
          kind: faultKind,
          onset: z.number().int(),
          spanMs: z.number().positive().optional(),
          params: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
        }),
      )
      .optional(),
    /** Exactly these heat waves instead of random ones. */
    heatWaves: z
      .array(
        z.object({
          region: z.string(),
          start: z.number().int(),
          end: z.number().int(),
          deltaC: z.number().min(-30).max(30),
        }),
      )
      .optional(),
  })
  .refine((o) => !o.deviceModels || o.deviceModels.length === o.devices, {
    message: 'deviceModels must name one model per device',
    path: ['deviceModels'],
  })
  .refine(
    (o) => Object.values(o.faultMix).some((weight) => (weight ?? 0) > 0) || o.faulty === 0 || o.faults,
    {
      message: 'the fault mix gives every kind weight 0',
      path: ['faultMix'],
    },
  );

export type SimulationOptionsInput = z.input<typeof simulationOptionsSchema>;
/** A fault placed by hand: device index, kind, onset (epoch ms), optional span and parameters. */
export type FaultRequest = NonNullable<SimulationOptionsInput['faults']>[number];
export type SimulationOptions = z.output<typeof simulationOptionsSchema>;

export interface PlannedDevice {
  index: number;
  id: string;
  model: string;
  region: string;
  regionIndex: number;
  lat: number;
  lon: number;
  /** Offset of its readings within each reporting interval, ms: real devices do not report in lockstep. */
  phaseMs: number;
}

export interface FleetPlan {
  options: SimulationOptions;
  /** Epoch ms. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
  intervalMs: number;
  regions: readonly Region[];
  devices: PlannedDevice[];
  /** Ordered by onset. */
  faults: PlannedFault[];
  heatWaves: HeatWave[];
}

/** Validates options and reports every problem at once, `field: message`. */
export function parseSimulationOptions(input: SimulationOptionsInput): SimulationOptions {
  const parsed = simulationOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`,
  );
  throw new Error(`invalid simulation options:\n  ${problems.join('\n  ')}`);
}

export function planFleet(input: SimulationOptionsInput): FleetPlan {
  const options = parseSimulationOptions(input);
  const start = options.start;
  const end = start + Math.round(options.days * DAY_MS);
  const devices = planDevices(options);
  const heatWaves =
    options.heatWaves?.map((wave) => ({ ...wave })) ?? planHeatWaves(REGIONS, start, end, options.seed);
  const unknownRegion = heatWaves.find((wave) => !REGIONS.some((region) => region.id === wave.region));
  if (unknownRegion)
    throw new Error(`heat wave region '${unknownRegion.region}' is not one of ${regionIds()}`);
  const faults = options.faults
    ? requestedFaults(options, devices)
    : randomFaults(options, devices, start, end);
  return {
    options,
    start,
    end,
    intervalMs: Math.round(options.intervalS * 1000),
    regions: REGIONS,
    devices,
    faults: faults.sort((a, b) => a.onset - b.onset || a.device.localeCompare(b.device)),
    heatWaves,
  };
}

function regionIds(): string {
  return REGIONS.map((region) => region.id).join(', ');
}

function planDevices(options: SimulationOptions): PlannedDevice[] {
  const width = Math.max(4, String(options.devices).length);
  const shares = SIM_MODEL_IDS.map((id) => [id, SIM_MODELS[id].fleetShare] as const);
  return Array.from({ length: options.devices }, (_, index) => {
    // Each device draws from its own stream, so device i is the same in a fleet of 20 and of 500.
    const rng = new Rng(deriveSeed(options.seed, 'device', index));
    const regionIndex = rng.int(0, REGIONS.length - 1);
    const region = REGIONS[regionIndex];
    const model = options.deviceModels?.[index] ?? rng.weighted(shares);
    const id = `${options.idPrefix}-${String(index + 1).padStart(width, '0')}`;
    if (!DEVICE_ID_PATTERN.test(id)) throw new Error(`device id '${id}' is not valid: shorten the id prefix`);
    return {
      index,
      id,
      model,
      region: region.id,
      regionIndex,
      lat: round(region.lat + rng.uniform(-region.spreadDeg, region.spreadDeg), 4),
      lon: round(region.lon + rng.uniform(-region.spreadDeg, region.spreadDeg), 4),
      phaseMs: Math.floor(rng.next() * options.intervalS * 1000),
    };
  });
}

function applicableKinds(model: string): FaultKind[] {
  const profile = modelProfile(model);
  return [
    ...MACHINE_FAULT_KINDS.filter((kind) => profile?.machineFaults.includes(kind)),
    ...DATA_QUALITY_FAULT_KINDS,
  ];
}

function randomFaults(
  options: SimulationOptions,
  devices: PlannedDevice[],
  start: number,
  end: number,
): PlannedFault[] {
  const rng = new Rng(deriveSeed(options.seed, 'faults'));
  const wanted = Math.round(options.faulty * devices.length);
  const faults: PlannedFault[] = [];
  for (const device of rng.shuffle(devices)) {
    if (faults.length >= wanted) break;
    const kinds = applicableKinds(device.model)
      .map((kind) => [kind, options.faultMix[kind] ?? 0] as const)
      .filter(([, weight]) => weight > 0);
    if (kinds.length === 0) continue;
    const kind = rng.weighted(kinds);
    const { onset, spanMs } = placeFault(kind, start, end, rng);
    faults.push(makeFault(device, kind, onset, spanMs, drawFaultParams(kind, deviceMetrics(device), rng)));
  }
  return faults;
}

function requestedFaults(options: SimulationOptions, devices: PlannedDevice[]): PlannedFault[] {
  const rng = new Rng(deriveSeed(options.seed, 'requested-faults'));
  const seen = new Set<number>();
  return (options.faults ?? []).map((request, i) => {
    const device = devices[request.device];
    if (!device)
      throw new Error(
        `faults.${i}.device: there is no device ${request.device} in a fleet of ${devices.length}`,
      );
    if (seen.has(request.device))
      throw new Error(`faults.${i}.device: device ${request.device} already has a fault`);
    seen.add(request.device);
    if (!applicableKinds(device.model).includes(request.kind)) {
      throw new Error(`faults.${i}.kind: ${device.model} does not suffer ${request.kind}`);
    }
    const params = {
      ...drawFaultParams(request.kind, deviceMetrics(device), rng),
      ...request.params,
    } as FaultParams;
    return makeFault(
      device,
      request.kind,
      request.onset,
      request.spanMs ?? drawSpan(request.kind, rng),
      params,
    );
  });
}

function makeFault(
  device: PlannedDevice,
  kind: FaultKind,
  onset: number,
  spanMs: number,
  params: FaultParams,
): PlannedFault {
  const machine = isMachineFault(kind);
  return {
    device: device.id,
    kind,
    category: faultKindCategory(kind),
    metric: isMachineFault(kind) ? MACHINE_FAULTS[kind].metric : (params.stuckMetric ?? null),
    onset,
    plannedFailure: machine ? onset + spanMs : null,
    end: machine ? null : onset + spanMs,
    params,
  };
}

function deviceMetrics(device: PlannedDevice): string[] {
  return Object.keys(modelProfile(device.model)?.metrics ?? {});
}
