/**
 * Paced latency: the generator holds a steady 10,000 readings/s (one QoS 1 message each) while step faults are
 * injected on other devices; reported are publish → PUBACK under that load, publish → rules engine, and publish →
 * machine ticket opened, as seen on the HTTP API.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BenchDevice } from './device.js';
import { Histogram, quantile } from './histogram.js';
import { influxUnavailable, type RunningInflux, startInflux } from './influx.js';
import { deviceIds, EVALUATION_LAG_METRIC } from './ingest.js';
import { Loadgen } from './loadgen-client.js';
import type { DeviceLogin } from './loadgen-protocol.js';
import { percentileCells, percentileColumns, prometheusQuantilesMs } from './percentiles.js';
import { histogramDelta, withoutLargest } from './prometheus.js';
import { DeviceSignal } from './readings.js';
import type { Scale } from './scale.js';
import { ForewarnServer } from './server.js';
import {
  type BenchContext,
  type Benchmark,
  check,
  type Measurement,
  part,
  type Row,
  type TargetCheck,
} from './types.js';

const MINUTE_MS = 60_000;
const HISTORY_HOURS = 25;
const HISTORY_INTERVAL_MS = MINUTE_MS;
const HISTORY_PER_MESSAGE = 500;
const FAULT_INTERVAL_MS = 10_000;
/** Long enough for the zone limit's confirmation time and to close a 20-minute bucket. */
const FAULT_SPAN_MS = 30 * MINUTE_MS;
/** Vibration after the step: above the ISO 10816 class I zone C/D limit (4.5 mm/s) of the AC-2000. */
const FAULT_VIBRATION = 6;
const TICKET_POLL_MS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A device with a day of healthy history that ends `faultStart` (so its detectors are past warm-up), then, when
 * injected, half an hour of readings with a vibration step, all in one message.
 */
class FaultyDevice {
  readonly #signal: DeviceSignal;

  private constructor(
    readonly device: BenchDevice,
    private readonly faultStart: number,
    seed: number,
  ) {
    this.#signal = new DeviceSignal(seed, device.login.id);
  }

  static async prepare(server: ForewarnServer, login: DeviceLogin, faultStart: number, seed: number) {
    const faulty = new FaultyDevice(await BenchDevice.connect(server.mqtt, login), faultStart, seed);
    const first = faultStart - HISTORY_HOURS * 60 * MINUTE_MS;
    for (let ts = first; ts < faultStart; ts += HISTORY_PER_MESSAGE * HISTORY_INTERVAL_MS) {
      const readings: string[] = [];
      for (let i = 0; i < HISTORY_PER_MESSAGE && ts + i * HISTORY_INTERVAL_MS < faultStart; i++) {
        readings.push(faulty.#signal.json(ts + i * HISTORY_INTERVAL_MS));
      }
      await faulty.device.publish(`[${readings.join(',')}]`);
    }
    return faulty;
  }

  /** The fault message, built before the clock starts. */
  faultPayload(): string {
    const readings: string[] = [];
    for (let ts = this.faultStart; ts < this.faultStart + FAULT_SPAN_MS; ts += FAULT_INTERVAL_MS) {
      const values = this.#signal.values(ts);
      values.vibration_rms = Math.round((FAULT_VIBRATION + values.vibration_rms - 0.5) * 1000) / 1000;
      readings.push(JSON.stringify({ ts, ...values }));
    }
    return `[${readings.join(',')}]`;
  }
}

/** Polls the device's machine tickets until one exists; resolves with when it was first seen (performance.now()). */
async function ticketSeen(server: ForewarnServer, device: string, deadline: number): Promise<number | null> {
  while (performance.now() < deadline) {
    const { tickets } = await server.api<{ tickets: unknown[] }>(
      'GET',
      `/api/tickets?device=${encodeURIComponent(device)}&category=machine&limit=1`,
    );
    if (tickets.length > 0) return performance.now();
    await sleep(TICKET_POLL_MS);
  }
  return null;
}

async function measure(
  context: BenchContext,
  store: 'sqlite' | 'influx',
  scale: Scale['latency'],
): Promise<Row> {
  let influx: RunningInflux | undefined;
  let server: ForewarnServer | undefined;
  let loadgen: Loadgen | undefined;
  const faulty: FaultyDevice[] = [];
  try {
    if (store === 'influx') influx = await startInflux(context.group, 'forewarn_latency');
    server = await ForewarnServer.start(context.group, {
      dataDir: join(context.workDir, `forewarn-${store}`),
      store,
      influxUrl: influx?.url,
      nodeFlags: context.serverNodeFlags,
    });
    const logins = await server.provision(deviceIds(scale.devices, 'paced'));
    const faultLogins = await server.provision(deviceIds(scale.faults, 'fault'));
    const faultStart = Math.floor((Date.now() - 45 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
    context.progress(`forewarn/${store}: ${scale.faults} devices get a day of history`);
    for (const login of faultLogins)
      faulty.push(await FaultyDevice.prepare(server, login, faultStart, context.seed));
    loadgen = Loadgen.start(context.group);
    const connected = await loadgen.connect({
      target: server.mqtt,
      devices: logins,
      concurrency: 100,
      keepalive: 0,
      timeoutMs: 120_000,
    });
    if (connected.failed > 0) throw new Error(`forewarn refused connections: ${connected.errors.join('; ')}`);
    const payloads = faulty.map((f) => f.faultPayload());
    const before = await server.metrics();

    context.progress(
      `forewarn/${store}: ${scale.rate} readings/s for ${scale.seconds} s, ${scale.faults} step faults`,
    );
    const paced = loadgen.publish({
      readingsPerMessage: 1,
      window: 16,
      rate: scale.rate,
      maxMessages: Math.ceil(scale.rate * scale.seconds),
      durationMs: scale.seconds * 1000,
      drainMs: 30_000,
      seed: context.seed,
    });
    const spacingMs = ((scale.seconds - scale.faultAfterSeconds) * 1000 * 0.8) / scale.faults;
    const ticketMs: number[] = [];
    const injections = faulty.map(async (device, i) => {
      await sleep(scale.faultAfterSeconds * 1000 + i * spacingMs);
      const publishedAt = performance.now();
      await device.device.publish(payloads[i]);
      const deadline = publishedAt + scale.ticketTimeoutSeconds * 1000;
      const seen = await ticketSeen(server as ForewarnServer, device.device.login.id, deadline);
      if (seen !== null) ticketMs.push(seen - publishedAt);
    });
    const [result] = await Promise.all([paced, ...injections]);
    const after = await server.metrics();
    const ack = Histogram.fromJSON(result.ackLatency);
    // The fault readings carry timestamps from 15–45 minutes ago by design; they are not part of the lag.
    const faultReadings = payloads.reduce((sum, payload) => sum + payload.split('"ts":').length - 1, 0);
    const lag = after.has(EVALUATION_LAG_METRIC)
      ? withoutLargest(
          histogramDelta(before.histogram(EVALUATION_LAG_METRIC), after.histogram(EVALUATION_LAG_METRIC)!),
          faultReadings,
        )
      : null;
    const seconds = (result.lastSendAt - result.firstSendAt) / 1000;
    return {
      system: `forewarn/${store}`,
      targetRate: scale.rate,
      achievedRate: seconds > 0 ? result.acked / seconds : null,
      ...percentileCells('ack', (q) => ack.quantileMs(q)),
      generatorLagP99: Histogram.fromJSON(result.sendLag).quantileMs(0.99),
      ...percentileCells('rules', prometheusQuantilesMs(lag)),
      ...percentileCells('ticket', (q) => quantile(ticketMs, q)),
      detected: `${ticketMs.length}/${scale.faults}`,
    };
  } finally {
    for (const f of faulty) f.device.close();
    await loadgen?.stop();
    await server?.stop();
    await influx?.stop();
  }
}

export const latencyBenchmark: Benchmark = {
  name: 'latency',
  title: 'Paced latency at 10,000 readings/s: PUBACK, rules engine, ticket for an injected step fault',
  columns: [
    { key: 'system', label: 'system' },
    { key: 'targetRate', label: 'paced at/s' },
    { key: 'achievedRate', label: 'achieved/s' },
    ...percentileColumns('ack', 'PUBACK', 2),
    ...percentileColumns('rules', 'rules', 1),
    ...percentileColumns('ticket', 'ticket', 0),
    { key: 'detected', label: 'faults ticketed' },
    { key: 'generatorLagP99', label: 'gen lag p99 ms', digits: 1 },
  ],

  async run(context): Promise<Measurement> {
    const scale = context.scale.latency;
    const rows: Row[] = [];
    const failures: string[] = [];
    const notes = [
      `${scale.devices} devices, one reading per QoS 1 message; PUBACK latency is timed from when each message was due`,
      'gen lag: how late the generator itself sent (a busy machine shows here first, not in the server)',
      `publish → ticket: a step fault (vibration ${FAULT_VIBRATION} mm/s, 30 min of device time in one message) on a device with ` +
        `${HISTORY_HOURS} h of history, until GET /api/tickets shows a machine ticket (polled every ${TICKET_POLL_MS} ms)`,
    ];
    const sqlite = await part('forewarn/sqlite', failures, () => measure(context, 'sqlite', scale));
    if (sqlite) rows.push(sqlite);
    const missing = context.scale.influxServers ? influxUnavailable() : `not in a ${context.scale.mode} run`;
    if (missing) notes.push(`forewarn/influx skipped: ${missing}`);
    else {
      const influx = await part('forewarn/influx', failures, () => measure(context, 'influx', scale));
      if (influx) rows.push(influx);
    }
    return { rows, notes, failures };
  },

  targets(rows): TargetCheck[] {
    const sqlite = rows.find((r) => r.system === 'forewarn/sqlite');
    return [
      check('sqlite: p99 publish → PUBACK at 10,000/s, ms', sqlite?.ackP99, '<=', 50),
      check('sqlite: p99 publish → ticket opened, ms', sqlite?.ticketP99, '<=', 1000),
    ];
  },
};
