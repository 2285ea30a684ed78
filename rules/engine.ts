/**
 * The rules engine: takes readings one at a time, keeps O(1) state per device and metric, and returns findings
 * only when a condition changes. No store is queried on this path; what a detector needs to remember is in the
 * device's rows (see state.ts).
 */
import type { Reading } from '../core/types.js';
import { MACHINE_METRICS, type MetricRules, RING_CAPACITY, type RulesConfig } from './config.js';
import {
  adaptBaseline,
  finishWarmup,
  fitBaseline,
  loadNormalised,
  novelLoad,
  writeRing,
} from './detectors/baseline.js';
import { DRIFT_NONE, updateDrift } from './detectors/drift.js';
import { updateEpisode } from './detectors/episode.js';
import {
  noteMissing,
  noteValue,
  updateDelivery,
  updateImpossible,
  updateStuck,
} from './detectors/quality.js';
import { createTrendScratch, updateTrend } from './detectors/trend.js';
import { updateZone } from './detectors/zone.js';
import { finding } from './emit.js';
import type { Finding } from './finding.js';
import { PeerGroups, peerKey } from './peers.js';
import {
  type DeviceInfo,
  DeviceState,
  DQ,
  DQ_FIELDS,
  DQ_ROW,
  M,
  MACHINE_FIELDS,
  MACHINE_ROW,
  type MetricCursor,
  RowAllocator,
} from './state.js';
import { ewma, timeAlpha } from './stats.js';

const MINUTE = 60_000;
/** Readings in a row that must agree before CLOCK-SKEW is raised or cleared. */
const CLOCK_CONFIRM = 5;
const DAY = 86_400_000;
/** Ambient older than this is not used to compensate a temperature reading. */
const AMBIENT_MAX_AGE_MS = 30 * MINUTE;
/** Device-level findings (offline, clock) name no metric. */
export const DEVICE_METRIC = 'device';

/** When a reading arrived, by a clock the platform trusts, and how far that clock may be off. */
export interface Arrival {
  /** Epoch ms. */
  at: number;
  uncertaintyMs: number;
}

export interface RulesEngineOptions {
  /** Validated rules (config.ts). */
  rules: RulesConfig;
  /** Model, region and site of a device; undefined for a device the platform does not know (its readings are ignored). */
  deviceInfo: (id: string) => DeviceInfo | undefined;
  /** Cell size for peer groups of devices that have a site but no region. */
  peerGridDegrees?: number;
}

/** One device's detector state, readable. */
export interface DeviceInspection {
  model: string;
  peerKey: string;
  lastTs: number;
  offline: boolean;
  /** Machine metric → detector field → value (see MACHINE_FIELDS in state.ts). */
  metrics: Record<string, Record<string, number>>;
}

/** Detector state of every device, serialisable as JSON. */
export interface RulesSnapshot {
  version: 1;
  /** Field names of the rows, so a snapshot from a different layout is refused rather than misread. */
  layout: string;
  devices: DeviceSnapshot[];
}

export interface DeviceSnapshot {
  id: string;
  model: string;
  peerKey: string;
  /** The device's own scalars (see `snapshot()`), as a base64 Float64Array. */
  scalars: string;
  /** The device's rows and rings, base64. */
  rows: string;
  rings: string;
}

/** The device's own numbers that a snapshot keeps besides its rows. */
const DEVICE_SCALARS = [
  'lastTs',
  'lastHeard',
  'offline',
  'clockSkewed',
  'episodeMetric',
  'ambient',
  'ambientTs',
  'ambientSlow',
  'windowStart',
  'windowCount',
  'shortestStep',
  'interval',
  'undelivered',
] as const satisfies readonly (keyof DeviceState)[];
type DeviceScalar = (typeof DEVICE_SCALARS)[number];

const LAYOUT = [
  ...DEVICE_SCALARS,
  '|',
  ...DQ_FIELDS,
  '|',
  ...MACHINE_FIELDS,
  '|',
  String(RING_CAPACITY),
].join(',');

export class RulesEngine {
  readonly #options: RulesEngineOptions;
  readonly #devices = new Map<string, DeviceState>();
  /** The same states by Reading.deviceKey, for readings that carry one; dense, undefined where not seen. */
  readonly #byKey: (DeviceState | undefined)[] = [];
  readonly #peers = new PeerGroups();
  readonly #allocator = new RowAllocator();
  readonly #scratch = createTrendScratch();
  /** Per-reading scratch: each of the device's metrics' value when it passed the data-quality checks, else NaN. */
  #values = new Float64Array(16);
  readonly #cursor: MetricCursor;

  constructor(options: RulesEngineOptions) {
    this.#options = options;
    // The cursor is re-pointed at a device before every use; until then it points nowhere.
    this.#cursor = {
      dev: undefined as unknown as DeviceState,
      k: 0,
      s: new Float64Array(0),
      m: 0,
      ring: new Float32Array(0),
      r: 0,
      rx: -1,
      rules: undefined as unknown as MetricRules,
      coupling: 0,
    };
  }

  /** Devices with state. */
  get deviceCount(): number {
    return this.#devices.size;
  }

  /**
   * Feeds one reading; findings are appended to `out` (also returned). `arrival` says when the platform received
   * it, by a clock it trusts; without it the reading's own time stands in (and clocks are not checked).
   */
  process(reading: Reading, arrival?: Arrival, out: Finding[] = []): Finding[] {
    const key = reading.deviceKey;
    const dev =
      key === undefined
        ? this.#device(reading.device)
        : (this.#byKey[key] ?? this.#keyed(reading.device, key));
    if (!dev) return out;
    const ts = reading.ts;
    const heardAt = arrival ? arrival.at : ts;
    if (heardAt > dev.lastHeard) dev.lastHeard = heardAt;
    if (dev.offline) {
      dev.offline = false;
      out.push(finding(dev, DEVICE_METRIC, 'OFFLINE', 'warning', 'cleared', heardAt, { current: 0 }));
    }
    if (arrival) this.#checkClock(dev, ts, arrival, out);
    if (ts === dev.lastTs) return out;
    const inOrder = ts > dev.lastTs;
    updateDelivery(dev, ts, inOrder ? ts - dev.lastTs : Number.NaN, DEVICE_METRIC, out);
    if (inOrder) dev.lastTs = ts;

    const names = dev.metricNames;
    if (this.#values.length < names.length) this.#values = new Float64Array(names.length);
    const values = this.#values;
    for (let i = 0; i < names.length; i++) {
      const value = reading.metrics[names[i]];
      values[i] = this.#quality(dev, i, ts, value, inOrder, out) ? value : Number.NaN;
    }
    const ambient = dev.ambientIndex >= 0 ? values[dev.ambientIndex] : Number.NaN;
    if (inOrder && !Number.isNaN(ambient)) {
      dev.ambientSlow = ewma(dev.ambientSlow, ambient, timeAlpha(ts - dev.ambientTs, DAY));
      dev.ambient = ambient;
      dev.ambientTs = ts;
    }
    for (let k = 0; k < MACHINE_METRICS.length; k++) {
      const index = dev.machineIndex[k];
      if (index >= 0 && !Number.isNaN(values[index])) this.#machine(dev, k, ts, values, inOrder, out);
    }
    return out;
  }

  /** Feeds readings in the order given, all received at `arrival` when given. */
  processBatch(readings: readonly Reading[], arrival?: Arrival): Finding[] {
    const out: Finding[] = [];
    for (const reading of readings) this.process(reading, arrival, out);
    return out;
  }

  /**
   * Raises OFFLINE for every device not heard from for its model's `offlineAfterMinutes` as of `now`. Silence
   * before `listeningSince` does not count: nobody was listening then (the platform was down or restarting).
   */
  checkOffline(now: number, listeningSince = Number.NEGATIVE_INFINITY): Finding[] {
    const out: Finding[] = [];
    for (const dev of this.#devices.values()) {
      if (dev.offline || now - Math.max(dev.lastHeard, listeningSince) < dev.rules.offlineAfterMs) continue;
      dev.offline = true;
      out.push(
        finding(dev, DEVICE_METRIC, 'OFFLINE', 'warning', 'active', now, {
          current: (now - dev.lastHeard) / MINUTE,
          limit: dev.rules.offlineAfterMs / MINUTE,
          note: `silent since ${new Date(dev.lastHeard).toISOString()} (current and limit in minutes)`,
        }),
      );
    }
    return out;
  }

  /** A device's detector state by field name, for a person asking why the rules concluded what they did. */
  inspect(deviceId: string): DeviceInspection | undefined {
    const dev = this.#devices.get(deviceId);
    if (!dev) return undefined;
    const metrics: DeviceInspection['metrics'] = {};
    MACHINE_METRICS.forEach((name, k) => {
      const m = dev.machineOffset(k);
      metrics[name] = Object.fromEntries(MACHINE_FIELDS.map((field, i) => [field, dev.rows[m + i]]));
    });
    return { model: dev.model, peerKey: dev.peerKey, lastTs: dev.lastTs, offline: dev.offline, metrics };
  }

  /** Drops a device's state (a removed device). */
  forget(deviceId: string): void {
    const dev = this.#devices.get(deviceId);
    if (dev && dev.key >= 0) this.#byKey[dev.key] = undefined;
    this.#devices.delete(deviceId);
  }

  /** The whole detector state, serialisable as JSON. */
  snapshot(): RulesSnapshot {
    const devices: DeviceSnapshot[] = [];
    for (const dev of this.#devices.values()) {
      const scalars = Float64Array.from(DEVICE_SCALARS, (name) => Number(dev[name]));
      devices.push({
        id: dev.id,
        model: dev.model,
        peerKey: dev.peerKey,
        scalars: toBase64(scalars),
        rows: toBase64(dev.rows),
        rings: toBase64(dev.rings),
      });
    }
    return { version: 1, layout: LAYOUT, devices };
  }

  /**
   * Restores a snapshot taken by `snapshot()` (possibly by another process): devices continue where they were,
   * without a second warm-up. Devices whose model is unknown now are skipped. Returns how many were restored.
   */
  restore(snapshot: RulesSnapshot): number {
    if (snapshot.version !== 1 || snapshot.layout !== LAYOUT) {
      throw new Error('rules snapshot: written by an incompatible version of the rules engine');
    }
    let restored = 0;
    for (const saved of snapshot.devices) {
      const rules = this.#options.rules.forModel(saved.model);
      if (!rules) continue;
      const dev = new DeviceState(saved.id, saved.model, rules, saved.peerKey, this.#allocator);
      const rows = fromBase64(saved.rows, Float64Array);
      const rings = fromBase64(saved.rings, Float32Array);
      const scalars = fromBase64(saved.scalars, Float64Array);
      if (rows.length !== dev.rows.length || rings.length !== dev.rings.length) continue;
      dev.rows.set(rows);
      dev.rings.set(rings);
      const writable = dev as unknown as Record<DeviceScalar, number | boolean>;
      DEVICE_SCALARS.forEach((name, i) => {
        writable[name] = typeof dev[name] === 'boolean' ? scalars[i] === 1 : scalars[i];
      });
      this.#devices.set(dev.id, dev);
      for (let k = 0; k < MACHINE_METRICS.length; k++) {
        const m = dev.machineOffset(k);
        dev.rows[m + M.peerSlot] = -1;
        if (dev.rows[m + M.warm] === 1) this.#joinPeers(dev, k, m);
      }
      restored++;
    }
    return restored;
  }

  /** A device's state found by id the first time its key is seen, then remembered under the key. */
  #keyed(id: string, key: number): DeviceState | undefined {
    const dev = this.#device(id);
    if (!dev) return undefined;
    // Filled up to the key rather than written past the end, so the array stays dense for V8.
    while (this.#byKey.length <= key) this.#byKey.push(undefined);
    this.#byKey[key] = dev;
    dev.key = key;
    return dev;
  }

  #device(id: string): DeviceState | undefined {
    const known = this.#devices.get(id);
    if (known) return known;
    const info = this.#options.deviceInfo(id);
    const rules = info && this.#options.rules.forModel(info.model);
    if (!info || !rules) return undefined;
    const key = peerKey(info.model, info.region, info.lat, info.lon, this.#options.peerGridDegrees ?? 1);
    const dev = new DeviceState(id, info.model, rules, key, this.#allocator);
    initialiseRows(dev);
    this.#devices.set(id, dev);
    return dev;
  }

  /**
   * A device whose readings are stamped more than `clockSkewMinutes` (plus the arrival clock's own uncertainty)
   * away from when they arrive has a wrong clock. CLOCK-SKEW needs CLOCK_CONFIRM readings in a row either way,
   * so one late message (a retry, a reordered one) neither raises nor clears it. A device sending a backlog (its
   * offline buffer, or history replayed) is not skewed: its late readings are older than ones already seen, or its
   * offset shrinks as it catches up, whereas a wrong clock keeps its offset; so a skew is raised only once the
   * offset has held steady for `clockSkewMinutes` of arrival time.
   */
  #checkClock(dev: DeviceState, ts: number, arrival: Arrival, out: Finding[]): void {
    // Older than what was seen: a backlog, unless a skewed clock was just set right (which must clear it).
    if (ts < dev.lastTs && !dev.clockSkewed) return;
    const offsetMs = ts - arrival.at;
    const skewed = Math.abs(offsetMs) > dev.rules.clockSkewMs + arrival.uncertaintyMs;
    if (skewed === dev.clockSkewed) {
      dev.clockRun = 0;
      return;
    }
    if (
      dev.clockRun === 0 ||
      (skewed && Math.abs(offsetMs - dev.clockRunOffset) > dev.rules.clockSkewMs / 2)
    ) {
      dev.clockRun = 0;
      dev.clockRunSince = arrival.at;
      dev.clockRunOffset = offsetMs;
    }
    if (++dev.clockRun < CLOCK_CONFIRM) return;
    if (skewed && arrival.at - dev.clockRunSince < dev.rules.clockSkewMs) return;
    dev.clockRun = 0;
    dev.clockSkewed = skewed;
    out.push(
      finding(dev, DEVICE_METRIC, 'CLOCK-SKEW', 'warning', skewed ? 'active' : 'cleared', arrival.at, {
        current: offsetMs / MINUTE,
        limit: dev.rules.clockSkewMs / MINUTE,
        note: 'minutes between the reading time and its arrival',
      }),
    );
  }

  /** Data-quality checks of one metric; true when its value may go on to the machine detectors. */
  #quality(
    dev: DeviceState,
    index: number,
    ts: number,
    value: number | undefined,
    inOrder: boolean,
    out: Finding[],
  ) {
    const name = dev.metricNames[index];
    const o = index * DQ_ROW;
    const { rules } = dev;
    const watched = dev.qualityWatched[index];
    if (value === undefined || !Number.isFinite(value)) {
      if (watched && inOrder) noteMissing(dev, o, name, ts, rules.gapMs, out);
      return false;
    }
    if (updateImpossible(dev, o, name, ts, value, dev.layout.physical[index], rules, out)) return false;
    if (
      watched &&
      inOrder &&
      updateStuck(dev, o, name, ts, value, rules.stuckMinReadings, rules.stuckMs, out)
    ) {
      return false;
    }
    noteValue(dev, o, name, ts, value, out);
    return true;
  }

  #pointCursor(dev: DeviceState, k: number): MetricCursor {
    const c = this.#cursor;
    c.dev = dev;
    c.k = k;
    c.s = dev.rows;
    c.m = dev.machineOffset(k);
    c.ring = dev.rings;
    c.r = k * RING_CAPACITY;
    c.rx = dev.loadRing[k];
    c.rules = k === 0 ? dev.rules.vibration : dev.rules.temperature;
    c.coupling = k === 0 ? 0 : dev.rules.profile.ambientCoupling;
    return c;
  }

  /** Machine detectors on one usable value of vibration (k = 0) or temperature (k = 1). */
  #machine(dev: DeviceState, k: number, ts: number, values: Float64Array, inOrder: boolean, out: Finding[]) {
    const c = this.#pointCursor(dev, k);
    const { s, m, rules } = c;
    const raw = values[dev.machineIndex[k]];
    const load = rules.load ? valueAt(values, dev.loadIndex[k]) : 0;
    const inState = this.#inState(c, ts, values, inOrder);
    const loadLevel =
      rules.load?.min === undefined || Number.isNaN(load) ? load : load >= rules.load.min ? 1 : 0;
    if (inOrder) {
      this.#updateLags(c, ts, loadLevel);
      const explained =
        rules.zone.contextZ > 0 && s[m + M.warm] === 1 && s[m + M.lastZ] < rules.zone.contextZ;
      // Vibration limits apply to a running machine; temperature limits at any time.
      if ((c.coupling !== 0 || inState) && updateZone(c, ts, raw, explained)) {
        updateEpisode(c, ts, this.#expected(c), dev.rules, out);
      }
    }
    if (!inState || Number.isNaN(load)) return;
    if (!this.#settled(c, ts, loadLevel)) return;
    let value = raw;
    if (c.coupling !== 0) {
      // Temperature is judged net of ambient: without a recent ambient value it feeds only the limits above.
      if (Math.abs(ts - dev.ambientTs) > AMBIENT_MAX_AGE_MS) return;
      value = raw - c.coupling * s[m + M.ambientLag];
    }
    const bucket = Math.floor(ts / rules.bucketMs);
    const current = s[m + M.bucket];
    if (bucket < current) return;
    if (bucket > current) {
      if (s[m + M.bucketCount] > 0) this.#closeBucket(c, current, ts, out);
      s[m + M.bucket] = bucket;
      s[m + M.bucketSum] = 0;
      s[m + M.bucketLoad] = 0;
      s[m + M.bucketCount] = 0;
    } else if (Number.isNaN(current)) {
      s[m + M.bucket] = bucket;
    }
    s[m + M.bucketSum] += value;
    s[m + M.bucketLoad] += s[m + M.loadLag];
    s[m + M.bucketCount] += 1;
  }

  /** Advances the thermal lags of load and ambient to `ts` (a missing load keeps its lagged value). */
  #updateLags(c: MetricCursor, ts: number, load: number): void {
    const { s, m, rules, dev } = c;
    const alpha = rules.lagMs === 0 ? 1 : timeAlpha(ts - s[m + M.lagTs], rules.lagMs);
    if (!Number.isNaN(load)) {
      s[m + M.loadLag] = Number.isNaN(s[m + M.loadLag]) ? load : ewma(s[m + M.loadLag], load, alpha);
      if (load !== s[m + M.loadLevel]) {
        // The change happened some time after the previous reading: count from there, to be safe.
        s[m + M.loadSteadySince] = Number.isNaN(s[m + M.lagTs]) ? ts : s[m + M.lagTs];
        s[m + M.loadLevel] = load;
      }
    }
    if (dev.ambientTs === ts) {
      s[m + M.ambientLag] = Number.isNaN(s[m + M.ambientLag])
        ? dev.ambient
        : ewma(s[m + M.ambientLag], dev.ambient, alpha);
    }
    s[m + M.lagTs] = ts;
  }

  /**
   * Whether the metric has caught up with its load. A running indicator must have held long enough for the lag
   * to close to within `settle` (however sparse the readings); a continuous load's lagged value must be within
   * `settle` of the load itself.
   */
  #settled(c: MetricCursor, ts: number, load: number): boolean {
    const { s, m, rules } = c;
    if (!rules.load) return true;
    if (rules.load.min !== undefined) {
      return ts - s[m + M.loadSteadySince] >= rules.lagMs * Math.log(1 / rules.load.settle);
    }
    return Math.abs(s[m + M.loadLag] - load) <= rules.load.settle * Math.max(Math.abs(load), 1);
  }

  /**
   * Whether the reading falls in the metric's operating state (its gate holds and has held for the settling
   * time). Only in-order readings move the gate's clock.
   */
  #inState(c: MetricCursor, ts: number, values: Float64Array, inOrder: boolean): boolean {
    const gate = c.rules.gate;
    if (!gate) return true;
    const { s, m, dev } = c;
    const value = valueAt(values, dev.gateIndex[c.k]);
    const holds =
      !Number.isNaN(value) &&
      (gate.min === undefined || value >= gate.min) &&
      (gate.max === undefined || value <= gate.max);
    if (!holds) {
      if (inOrder) s[m + M.gateSince] = Number.NaN;
      return false;
    }
    if (Number.isNaN(s[m + M.gateSince])) {
      if (!inOrder) return false;
      s[m + M.gateSince] = ts;
    }
    return ts - s[m + M.gateSince] >= c.rules.settleMs;
  }

  /** A bucket is complete: baseline, drift, trend and episode see its mean. */
  #closeBucket(c: MetricCursor, bucket: number, at: number, out: Finding[]): void {
    const { s, m, rules, dev } = c;
    const count = s[m + M.bucketCount];
    const enough = count >= rules.minBucketReadings;
    const raw = enough ? s[m + M.bucketSum] / count : Number.NaN;
    const load = enough ? s[m + M.bucketLoad] / count : Number.NaN;
    writeRing(c, bucket, raw, load);
    if (!enough) return;
    if (s[m + M.warm] === 0) {
      if (finishWarmup(c, bucket)) this.#joinPeers(dev, c.k, m);
      return;
    }
    if (novelLoad(c, load)) {
      // A load the unit was never seen at: learn what it does (unless a fault is being followed), judge nothing.
      if (s[m + M.episodeCode] < 0 && s[m + M.drift] === DRIFT_NONE) {
        fitBaseline(c, bucket, RING_CAPACITY);
      }
      return;
    }
    const mean = loadNormalised(c, raw, load);
    const z = (mean - s[m + M.level]) / s[m + M.spread];
    let contextual = z;
    const slot = s[m + M.peerSlot];
    const peers = dev.peers[c.k];
    if (peers && slot >= 0) {
      peers.publish(slot, bucket, z);
      const peersZ = peers.medianOfOthers(slot, bucket, rules.peers.minPeers);
      if (!Number.isNaN(peersZ)) contextual = z - peersZ;
    }
    updateDrift(c, bucket, contextual, at);
    // The regression is only worth its cost when something is going on (most units, most of the time, are fine).
    if (
      s[m + M.episodeCode] >= 0 ||
      s[m + M.drift] !== DRIFT_NONE ||
      s[m + M.trend] === 1 ||
      s[m + M.ewmaZ] >= rules.trend.minZ / 2
    ) {
      updateTrend(c, rules.criticalLimit - c.coupling * this.#referenceAmbient(dev), at, this.#scratch);
    } else {
      s[m + M.predictedAt] = Number.NaN;
    }
    const healthy =
      s[m + M.episodeCode] < 0 &&
      s[m + M.drift] === DRIFT_NONE &&
      Math.abs(contextual) < rules.adaptMaxZ &&
      s[m + M.cusumUp] < rules.cusum.h / 2;
    if (healthy) adaptBaseline(c, mean);
    updateEpisode(c, at, this.#expected(c), dev.rules, out);
  }

  #joinPeers(dev: DeviceState, k: number, m: number): void {
    const rules = k === 0 ? dev.rules.vibration : dev.rules.temperature;
    if (!rules.peers.enabled) return;
    const group = this.#peers.group(`${MACHINE_METRICS[k]}|${dev.peerKey}`);
    dev.peers[k] = group;
    dev.rows[m + M.peerSlot] = group.join();
  }

  #referenceAmbient(dev: DeviceState): number {
    return Number.isNaN(dev.ambientSlow) ? (Number.isNaN(dev.ambient) ? 0 : dev.ambient) : dev.ambientSlow;
  }

  /** The raw value the unit's baseline expects now, given its current load and ambient. */
  #expected(c: MetricCursor): number {
    const { s, m } = c;
    const loadEffect =
      s[m + M.loadSlope] === 0 ? 0 : s[m + M.loadSlope] * (s[m + M.loadLag] - s[m + M.loadHigh]);
    const ambient = Number.isNaN(s[m + M.ambientLag]) ? this.#referenceAmbient(c.dev) : s[m + M.ambientLag];
    return s[m + M.level] + loadEffect + c.coupling * ambient;
  }
}

/** A metric's value by index in the per-reading scratch (NaN for index −1). */
function valueAt(values: Float64Array, index: number): number {
  return index < 0 ? Number.NaN : values[index];
}

function initialiseRows(dev: DeviceState): void {
  const s = dev.rows;
  for (let i = 0; i < dev.metricNames.length; i++) {
    const o = i * DQ_ROW;
    s.fill(0, o, o + DQ_ROW);
    s[o + DQ.lastValue] = Number.NaN;
    s[o + DQ.runStart] = Number.NaN;
    s[o + DQ.impossibleLast] = Number.NEGATIVE_INFINITY;
    s[o + DQ.lastValid] = Number.NaN;
  }
  for (let k = 0; k < MACHINE_METRICS.length; k++) {
    const m = dev.machineOffset(k);
    s.fill(Number.NaN, m, m + MACHINE_ROW);
    for (const zero of [
      M.zone,
      M.zoneCandidate,
      M.bucketSum,
      M.bucketCount,
      M.warm,
      M.lastZ,
      M.ewmaZ,
      M.cusumUp,
      M.cusumDown,
      M.excursionSumZ,
      M.drift,
      M.trend,
      M.episodeSeverity,
      M.bucketLoad,
      M.loadSlope,
    ]) {
      s[m + zero] = 0;
    }
    s[m + M.episodeCode] = -1;
    s[m + M.peerSlot] = -1;
  }
  dev.rings.fill(Number.NaN);
}

function toBase64(array: Float64Array | Float32Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function fromBase64<T extends Float64Array | Float32Array>(
  text: string,
  Type: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
): T {
  const bytes = Buffer.from(text, 'base64');
  const copy = new ArrayBuffer(bytes.length - (bytes.length % Type.BYTES_PER_ELEMENT));
  new Uint8Array(copy).set(bytes.subarray(0, copy.byteLength));
  return new Type(copy);
}
