/**
 * The telemetry stores on their own, in this process: write rate in ingest-sized batches, bytes per reading on
 * disk, and one device's 24-hour range query, for the embedded SQLite store and for InfluxDB.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Reading } from '../core/types.js';
import type { TelemetryStore } from '../store/telemetry/port.js';
import { SqliteTelemetryStore } from '../store/telemetry/sqlite.js';
import { quantile } from './histogram.js';
import { influxUnavailable, type RunningInflux, startInflux } from './influx.js';
import { percentileCells, percentileColumns } from './percentiles.js';
import { DeviceSignal } from './readings.js';
import type { Scale } from './scale.js';
import {
  type BenchContext,
  type Benchmark,
  check,
  type Measurement,
  part,
  type Row,
  type TargetCheck,
} from './types.js';

const INTERVAL_MS = 10_000;
const RETENTION_DAYS = 30;
const INFLUX_STORE = join(import.meta.dirname, '../store/telemetry/influx.js');
/** The size the store targets are stated at: 1,000 devices × 8,640 readings. */
const STATED_READINGS = 8_640_000;
/** No phase may run longer than this, whatever the counts say. */
const PHASE_DEADLINE_MS = 20 * 60_000;

/** A store under test: how to make one over its data, twice (the second time to read what the first wrote). */
interface StoreUnderTest {
  kind: string;
  /** Does the store do its work in this process (so that this process's CPU time is its cost)? */
  inProcess: boolean;
  create(): TelemetryStore;
  stop?(): Promise<void>;
}

/** The fleet's readings in arrival order (every device's reading at t, then t + 10 s …), in batches. */
function* fleetBatches(scale: Scale['store'], start: number, seed: number): Generator<Reading[]> {
  const signals = Array.from({ length: scale.devices }, (_, d) => new DeviceSignal(seed, d));
  // Devices do not report in lockstep: each has its own phase within the interval.
  const phase = signals.map((_, d) => (d * 7919) % INTERVAL_MS);
  let batch: Reading[] = [];
  for (let step = 0; step < scale.readingsPerDevice; step++) {
    for (let d = 0; d < scale.devices; d++) {
      const ts = start + step * INTERVAL_MS + phase[d];
      batch.push({ device: storeDevice(d), ts, metrics: signals[d].values(ts) });
      if (batch.length === scale.batch) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

const storeDevice = (d: number) => `store-${String(d).padStart(6, '0')}`;

async function measure(
  subject: StoreUnderTest,
  scale: Scale['store'],
  seed: number,
  context: BenchContext,
): Promise<Row> {
  const span = scale.readingsPerDevice * INTERVAL_MS;
  // A day that ended ten minutes ago, aligned to the interval, well inside retention.
  const start = Math.floor((Date.now() - 10 * 60_000 - span) / INTERVAL_MS) * INTERVAL_MS;
  const deadline = Date.now() + PHASE_DEADLINE_MS;
  const writer = subject.create();
  await writer.open();
  let written = 0;
  let writeMs = 0;
  let writeCpuUs = 0;
  let complete = true;
  try {
    for (const batch of fleetBatches(scale, start, seed)) {
      if (Date.now() > deadline) {
        complete = false;
        break;
      }
      const began = performance.now();
      const cpuBefore = process.cpuUsage();
      const result = await writer.write(batch);
      const cpu = process.cpuUsage(cpuBefore);
      writeMs += performance.now() - began;
      writeCpuUs += cpu.user + cpu.system;
      written += result.stored;
    }
  } finally {
    await writer.close();
  }
  context.progress(`${subject.kind}: wrote ${written.toLocaleString('en-US')} readings`);

  // Read through a fresh instance, as a restarted server would: nothing is answered from the writer's memory.
  const reader = subject.create();
  await reader.open();
  try {
    const bytes = await reader.sizeOnDisk();
    const queryMs: number[] = [];
    let points = 0;
    for (let q = 0; q < scale.queries && Date.now() < deadline; q++) {
      const device = storeDevice((q * 7) % scale.devices);
      const began = performance.now();
      const answer = await reader.query({
        device,
        from: start,
        to: start + span + INTERVAL_MS,
        limit: 100_000,
      });
      queryMs.push(performance.now() - began);
      points = answer.length;
    }
    if (complete && points !== scale.readingsPerDevice) {
      throw new Error(
        `${subject.kind}: a 24 h query returned ${points} points, expected ${scale.readingsPerDevice}`,
      );
    }
    return {
      store: subject.kind,
      devices: scale.devices,
      readings: written,
      writePerSecond: written / (writeMs / 1000),
      // Only meaningful where the store does its work in this process (SQLite), not for a server elsewhere.
      writePerCpuSecond: subject.inProcess ? written / (writeCpuUs / 1e6) : null,
      bytesPerReading: bytes === null ? null : bytes / written,
      ...percentileCells('query', (q) => quantile(queryMs, q)),
      points,
      queries: queryMs.length,
      bound: complete ? 'count' : 'time',
    };
  } finally {
    await reader.close();
  }
}

async function influxSubject(context: BenchContext): Promise<StoreUnderTest & { influx: RunningInflux }> {
  const { InfluxTelemetryStore } = (await import(pathToFileURL(INFLUX_STORE).href)) as {
    InfluxTelemetryStore: new (options: { url: string; retentionDays: number }) => TelemetryStore;
  };
  const influx = await startInflux(context.group, `bench_store_${context.seed}`);
  return {
    kind: 'influx',
    inProcess: false,
    influx,
    create: () => new InfluxTelemetryStore({ url: influx.url, retentionDays: RETENTION_DAYS }),
  };
}

export const storeBenchmark: Benchmark = {
  name: 'store',
  title: 'Telemetry stores: write rate, bytes per reading, 24 h range query',
  columns: [
    { key: 'store', label: 'store' },
    { key: 'devices', label: 'devices' },
    { key: 'readings', label: 'readings' },
    { key: 'writePerSecond', label: 'written/s' },
    { key: 'writePerCpuSecond', label: 'written/CPU-s' },
    { key: 'bytesPerReading', label: 'bytes/reading', digits: 1 },
    ...percentileColumns('query', '24 h query', 2),
    { key: 'points', label: 'points' },
  ],

  async run(context): Promise<Measurement> {
    const scale = context.scale.store;
    const rows: Row[] = [];
    const failures: string[] = [];
    const notes = [
      `${scale.devices} devices × ${scale.readingsPerDevice} readings at 10 s, 4 metrics, written in batches of ${scale.batch} in arrival order`,
      'bytes on disk as the store reports them, after closing the writer; queries through a freshly opened store',
    ];
    const dir = join(context.workDir, 'sqlite');
    const sqlite: StoreUnderTest = {
      kind: 'sqlite',
      inProcess: true,
      create: () => new SqliteTelemetryStore({ dir, retentionDays: RETENTION_DAYS }),
    };
    const sqliteRow = await part('sqlite', failures, () => measure(sqlite, scale, context.seed, context));
    if (sqliteRow) rows.push(sqliteRow);

    const missing = influxUnavailable() ?? (existsSync(INFLUX_STORE) ? null : `${INFLUX_STORE} is missing`);
    if (missing) notes.push(`influx skipped: ${missing}`);
    else {
      const influxRow = await part('influx', failures, async () => {
        const subject = await influxSubject(context);
        try {
          return await measure(subject, scale, context.seed, context);
        } finally {
          await subject.influx.stop();
        }
      });
      if (influxRow) rows.push(influxRow);
    }
    return { rows, notes, failures };
  },

  targets(rows): TargetCheck[] {
    const sqlite = rows.find((r) => r.store === 'sqlite');
    const full = sqlite?.readings === STATED_READINGS ? undefined : '1,000 devices × 8,640 readings';
    return [
      check('sqlite: readings written/s', sqlite?.writePerSecond, '>=', 150_000, full),
      check('sqlite: bytes per reading on disk', sqlite?.bytesPerReading, '<=', 24, full),
      check('sqlite: 24 h range query p50, ms', sqlite?.queryP50, '<=', 10, full),
    ];
  },
};
