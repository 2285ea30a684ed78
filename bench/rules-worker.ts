/**
 * The rules measurement, in a process of its own started with --expose-gc, so that the heap it measures holds the
 * engine's state and nothing of the orchestrator's. Receives a RulesJob over IPC and answers with RulesFigures.
 */
import { performance } from 'node:perf_hooks';
import { DeviceKeys } from '../core/device-keys.js';
import type { Reading } from '../core/types.js';
import { defaultRulesConfig } from '../rules/config.js';
import { RulesEngine } from '../rules/engine.js';
import { BENCH_MODEL, DeviceSignal } from './readings.js';

export interface RulesJob {
  /** Devices given state (the memory figure). */
  devices: number;
  /** The first this many of them are fed through warm-up and timed. */
  timedDevices: number;
  /** Timed readings per device, at the real 10 s interval. */
  timedReadings: number;
  seed: number;
  /** Stop feeding after this long whatever is left. */
  deadlineMs: number;
}

export interface RulesFigures {
  devices: number;
  metricsPerDevice: number;
  stateBytes: number;
  timedDevices: number;
  warmupReadings: number;
  timedReadings: number;
  /** Wall time of the timed readings… */
  timedNs: number;
  /** …and the CPU time this process spent on them, which a busy shared machine inflates far less. */
  timedCpuNs: number;
  findings: number;
  complete: boolean;
}

const INTERVAL_MS = 10_000;
const HOUR_MS = 3_600_000;
/** Warm-up feeds three readings per 20-minute bucket, the fewest a bucket counts with, to get past it quickly. */
const WARMUP_INTERVAL_MS = 400_000;
const REGIONS = 50;
/** Ingest's largest commit (batchMaxReadings), the batch size the rules engine sees under load. */
const BATCH = 5000;
const ARRIVAL_DELAY_MS = 500;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('the rules worker needs --expose-gc');
  collect();
  collect();
}

function heapBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const deviceId = (d: number) => `rules-${String(d).padStart(6, '0')}`;

function measure(job: RulesJob): RulesFigures {
  const deadline = Date.now() + job.deadlineMs;
  const rules = defaultRulesConfig();
  const metricsPerDevice = Object.keys(rules.forModel(BENCH_MODEL)?.profile.metrics ?? {}).length;
  const signals = Array.from({ length: job.devices }, (_, d) => new DeviceSignal(job.seed, d));
  const ids = signals.map((_, d) => deviceId(d));
  // Readings carry the key the broker resolves once per session.
  const deviceKeys = new DeviceKeys();
  const keys = ids.map((id) => deviceKeys.keyOf(id));
  const info = ids.map((_, d) => ({ model: BENCH_MODEL, region: `region-${d % REGIONS}` }));
  const index = new Map(ids.map((id, d) => [id, d]));
  gc();
  const before = heapBytes();
  const engine = new RulesEngine({ rules, deviceInfo: (id) => info[index.get(id) ?? -1] });

  // Two days back, so warm-up and the timed readings all lie in the past.
  const warmupMs = (rules.forModel(BENCH_MODEL)?.vibration.warmupHours ?? 24) * HOUR_MS + HOUR_MS;
  const timedMs = job.timedReadings * INTERVAL_MS;
  const start = Math.floor((Date.now() - warmupMs - timedMs - HOUR_MS) / HOUR_MS) * HOUR_MS;

  let findings = 0;
  const round = (first: number, end: number, ts: number): Reading[] =>
    Array.from({ length: end - first }, (_, i) => ({
      device: ids[first + i],
      deviceKey: keys[first + i],
      ts,
      metrics: signals[first + i].values(ts),
    }));

  // Every device gets its state with a first reading; the rest of warm-up only for the timed ones.
  findings += engine.processBatch(round(0, job.devices, start)).length;
  let warmupReadings = job.devices;
  let complete = true;
  for (let ts = start + WARMUP_INTERVAL_MS; ts < start + warmupMs && complete; ts += WARMUP_INTERVAL_MS) {
    findings += engine.processBatch(round(0, job.timedDevices, ts)).length;
    warmupReadings += job.timedDevices;
    complete = Date.now() < deadline;
  }
  gc();
  const stateBytes = heapBytes() - before;

  let timedReadings = 0;
  let timedNs = 0;
  let timedCpuNs = 0;
  for (let step = 0; step < job.timedReadings && complete; step++) {
    const ts = start + warmupMs + step * INTERVAL_MS;
    // As the platform feeds it: committed batches of at most one ingest batch, decoded just before and heard a
    // moment after their time.
    const arrival = { at: ts + ARRIVAL_DELAY_MS, uncertaintyMs: 0 };
    for (let first = 0; first < job.timedDevices; first += BATCH) {
      const batch = round(first, Math.min(first + BATCH, job.timedDevices), ts);
      const began = performance.now();
      const cpuBefore = process.cpuUsage();
      findings += engine.processBatch(batch, arrival).length;
      const cpu = process.cpuUsage(cpuBefore);
      timedNs += (performance.now() - began) * 1e6;
      timedCpuNs += (cpu.user + cpu.system) * 1000;
      timedReadings += batch.length;
    }
    complete = Date.now() < deadline;
  }
  if (engine.deviceCount !== job.devices)
    throw new Error(`the engine holds ${engine.deviceCount} devices, not ${job.devices}`);
  return {
    devices: job.devices,
    metricsPerDevice,
    stateBytes,
    timedDevices: job.timedDevices,
    warmupReadings,
    timedReadings,
    timedNs,
    timedCpuNs,
    findings,
    complete,
  };
}

process.once('message', (job: RulesJob) => {
  try {
    process.send?.({ ok: true, figures: measure(job) }, () => process.exit(0));
  } catch (error) {
    process.send?.({ ok: false, error: (error as Error).stack ?? String(error) }, () => process.exit(1));
  }
});
