/**
 * Detector state, kept compact: every number a detector remembers about one device and metric lives in a
 * fixed slot of a Float64Array row (and its bucket history in a Float32Array ring), carved out of large shared
 * buffers. A JavaScript object with forty number fields costs over 1 KB in V8; a row costs 8 bytes a field.
 * The field names below are the only way code reaches a slot.
 */
import type { MetricRules, ModelRules } from './config.js';
import { MACHINE_METRICS, RING_CAPACITY } from './config.js';
import type { PeerGroup } from './peers.js';

function layout<const T extends readonly string[]>(names: T): { readonly [K in T[number]]: number } {
  return Object.fromEntries(names.map((name, i) => [name, i])) as { [K in T[number]]: number };
}

/** Data-quality slots, kept for every metric a device's model reports. */
export const DQ_FIELDS = [
  /** Last in-order value (stuck detection). */
  'lastValue',
  /** Identical readings in a row, and when the run began. */
  'runCount',
  'runStart',
  /** 1 while SENSOR-STUCK is active. */
  'stuck',
  /** Impossible values seen recently, the last one's time, 1 while SENSOR-IMPOSSIBLE is active. */
  'impossibleCount',
  'impossibleLast',
  'impossibleActive',
  /** Time of the last usable value, and 1 while DATA-GAP is active. */
  'lastValid',
  'gapActive',
] as const;
export const DQ = layout(DQ_FIELDS);

/** Machine-detector slots, kept for vibration and temperature. */
export const MACHINE_FIELDS = [
  /** Smoothed raw value for the zone limits, and the time of its last update. */
  'fast',
  'fastTs',
  /** Confirmed zone level (0 normal, 1 warning, 2 critical), the candidate level and since when it holds. */
  'zone',
  'zoneCandidate',
  'zoneCandidateSince',
  /** Current bucket: index (time / bucket length), sum and count of values. */
  'bucket',
  'bucketSum',
  'bucketCount',
  /** 1 once warm-up is over; the first bucket seen; the learned level and spread. */
  'warm',
  'warmStart',
  'level',
  'spread',
  /** Latest standardised residual (after context), its EWMA, the two CUSUMs. */
  'lastZ',
  'ewmaZ',
  'cusumUp',
  'cusumDown',
  /** First bucket of the current upward excursion, and the residuals summed over it. */
  'excursionStart',
  'excursionSumZ',
  /** 0 none, 1 drift, 2 step; and since when the clear condition holds. */
  'drift',
  'driftClearSince',
  /** Bucket index of the newest ring slot. */
  'ringHead',
  /** 1 while a significant upward trend is active; its slope per hour and standard error; since when it faded. */
  'trend',
  'trendSlope',
  'trendSlopeErr',
  'trendClearSince',
  /** Predicted critical time (epoch ms, NaN if none) and its uncertainty in hours. */
  'predictedAt',
  'predictionHours',
  /** Episode: fault code index (−1 none), severity (1 warning, 2 critical), last emission time, prediction sent. */
  'episodeCode',
  'episodeSeverity',
  'episodeEmittedAt',
  'episodePredictedAt',
  /** When the episode's metric first reached the critical zone (NaN before): the failure, as far as data tells. */
  'episodeReachedAt',
  /** Slot in the peer group, −1 without one. */
  'peerSlot',
  /** Since when the operating-state gate has held (NaN while it does not). */
  'gateSince',
  /** Lagged load and lagged ambient (thermal lag), and the time they were last updated. */
  'loadLag',
  'ambientLag',
  'lagTs',
  /** A running indicator's last level, and since when it has certainly held (the reading before it changed). */
  'loadLevel',
  'loadSteadySince',
  /** Sum of the lagged load over the current bucket. */
  'bucketLoad',
  /** Learned effect of load (metric units per load unit); the range of loads seen while learning, whose top is the reference load levels are quoted at. */
  'loadSlope',
  'loadLow',
  'loadHigh',
] as const;
export const M = layout(MACHINE_FIELDS);

export const DQ_ROW = DQ_FIELDS.length;
export const MACHINE_ROW = MACHINE_FIELDS.length;

/** Hands out rows of large shared buffers, so each row costs its bytes and one small view object. */
export class RowAllocator {
  #f64: Float64Array = new Float64Array(0);
  #f64Used = 0;
  #f32: Float32Array = new Float32Array(0);
  #f32Used = 0;

  constructor(private readonly chunkBytes = 1 << 20) {}

  doubles(length: number): Float64Array {
    if (this.#f64Used + length > this.#f64.length) {
      this.#f64 = new Float64Array(Math.max(length, this.chunkBytes / 8));
      this.#f64Used = 0;
    }
    const row = this.#f64.subarray(this.#f64Used, this.#f64Used + length);
    this.#f64Used += length;
    return row;
  }

  floats(length: number): Float32Array {
    if (this.#f32Used + length > this.#f32.length) {
      this.#f32 = new Float32Array(Math.max(length, this.chunkBytes / 4));
      this.#f32Used = 0;
    }
    const row = this.#f32.subarray(this.#f32Used, this.#f32Used + length);
    this.#f32Used += length;
    return row;
  }
}

/** Who a device is, as the rules engine needs to know it. */
export interface DeviceInfo {
  model: string;
  region?: string | null;
  lat?: number | null;
  lon?: number | null;
}

/** Where a model's metrics and detector rows are: worked out once per model, shared by its devices. */
export interface DeviceLayout {
  /** Every metric of the model, in profile order; its DQ row is at index × DQ_ROW. */
  metricNames: readonly string[];
  /** Which of them are checked for stuck values and gaps. */
  qualityWatched: readonly boolean[];
  /** Each one's physical range, where a value outside it is impossible. */
  physical: readonly { readonly min: number; readonly max: number }[];
  /** Index in `metricNames` of each machine metric (−1 if the model lacks it), and of ambient. */
  machineIndex: readonly number[];
  ambientIndex: number;
  /** Index in `metricNames` of each machine metric's gate and load metric (−1 without one). */
  gateIndex: readonly number[];
  loadIndex: readonly number[];
  /** Offset in the rings of each machine metric's load ring (−1 without a load). */
  loadRing: readonly number[];
  rowLength: number;
  ringLength: number;
}

const layouts = new WeakMap<ModelRules, DeviceLayout>();

function layoutFor(rules: ModelRules): DeviceLayout {
  const known = layouts.get(rules);
  if (known) return known;
  const metricNames = Object.keys(rules.profile.metrics);
  const metricRules = [rules.vibration, rules.temperature];
  let ringLength = MACHINE_METRICS.length * RING_CAPACITY;
  const layout: DeviceLayout = {
    metricNames,
    qualityWatched: metricNames.map((name) => rules.qualityMetrics.has(name)),
    physical: metricNames.map((name) => rules.profile.metrics[name].physical),
    machineIndex: MACHINE_METRICS.map((name) => metricNames.indexOf(name)),
    ambientIndex: metricNames.indexOf('ambient_c'),
    gateIndex: metricRules.map((r) => (r.gate ? metricNames.indexOf(r.gate.metric) : -1)),
    loadIndex: metricRules.map((r) => (r.load ? metricNames.indexOf(r.load.metric) : -1)),
    loadRing: metricRules.map((r) => {
      if (!r.load) return -1;
      ringLength += RING_CAPACITY;
      return ringLength - RING_CAPACITY;
    }),
    rowLength: metricNames.length * DQ_ROW + MACHINE_METRICS.length * MACHINE_ROW,
    ringLength: 0,
  };
  layout.ringLength = ringLength;
  layouts.set(rules, layout);
  return layout;
}

/** Everything the engine remembers about one device. */
export class DeviceState {
  /** Newest reading time seen (device clock), epoch ms. */
  lastTs = Number.NEGATIVE_INFINITY;
  /** When the platform last heard from it (arrival time live, data time in replay). */
  lastHeard = Number.NEGATIVE_INFINITY;
  /** True while OFFLINE is active. */
  offline = false;
  /** True while CLOCK-SKEW is active; readings in a row that disagree with that state. */
  clockSkewed = false;
  clockRun = 0;
  /** Arrival time and clock offset at the start of that run, to tell a wrong clock from a backlog being sent. */
  clockRunSince = Number.NaN;
  clockRunOffset = Number.NaN;
  /** Delivery window: its first reading's time, readings in it, the shortest step between in-order readings. */
  windowStart = Number.NaN;
  windowCount = 0;
  shortestStep = Number.POSITIVE_INFINITY;
  /** The reporting interval, as the shortest step of the last complete window. */
  interval = Number.NaN;
  /** True while DATA-GAP is active on the device as a whole. */
  undelivered = false;
  /** Latest ambient temperature and its time, for temperature compensation. */
  ambient = Number.NaN;
  ambientTs = Number.NEGATIVE_INFINITY;
  /** Slowly smoothed ambient, to translate the critical temperature into compensated units. */
  ambientSlow = Number.NaN;
  /** The machine metric (0 vibration, 1 temperature) whose episode is open, −1 when none: one per device. */
  episodeMetric = -1;
  /** Its Reading.deviceKey once a keyed reading arrived, −1 before. */
  key = -1;
  /** The peer group each machine metric is compared with, once it has one. */
  readonly peers: (PeerGroup | null)[] = [null, null];
  /** DQ rows for every metric of the model, then machine rows for vibration and temperature. */
  readonly rows: Float64Array;
  /** Bucket history: a ring of bucket values per machine metric, then a ring of bucket loads per metric with a load. */
  readonly rings: Float32Array;
  /** Where things are in this model's rows; shared by every device of the model. */
  readonly layout: DeviceLayout;

  constructor(
    readonly id: string,
    readonly model: string,
    readonly rules: ModelRules,
    /** Peer group key (model and region). */
    readonly peerKey: string,
    allocator: RowAllocator,
  ) {
    this.layout = layoutFor(rules);
    this.rows = allocator.doubles(this.layout.rowLength);
    this.rings = allocator.floats(this.layout.ringLength);
  }

  get metricNames(): readonly string[] {
    return this.layout.metricNames;
  }

  get qualityWatched(): readonly boolean[] {
    return this.layout.qualityWatched;
  }

  get machineIndex(): readonly number[] {
    return this.layout.machineIndex;
  }

  get ambientIndex(): number {
    return this.layout.ambientIndex;
  }

  get gateIndex(): readonly number[] {
    return this.layout.gateIndex;
  }

  get loadIndex(): readonly number[] {
    return this.layout.loadIndex;
  }

  get loadRing(): readonly number[] {
    return this.layout.loadRing;
  }

  /** Offset of a machine metric's row in `rows` (0 vibration, 1 temperature). */
  machineOffset(index: number): number {
    return this.metricNames.length * DQ_ROW + index * MACHINE_ROW;
  }
}

/** Where one machine metric of one device keeps its state: the engine points this at a row, then runs detectors. */
export interface MetricCursor {
  dev: DeviceState;
  /** Which machine metric: 0 vibration, 1 temperature. */
  k: number;
  /** The device's rows (`dev.rows`). */
  s: Float64Array;
  /** Offset of the metric's machine row in `s`. */
  m: number;
  /** The device's rings, the offset of this metric's ring and of its load ring (−1 without a load). */
  ring: Float32Array;
  r: number;
  rx: number;
  rules: MetricRules;
  /** How much the metric rises per °C of ambient (0 for vibration): its context compensation. */
  coupling: number;
}
