/**
 * End-to-end ingest: K devices publish QoS 1 telemetry as fast as the server acknowledges it (a bounded window of
 * messages in flight per connection), first one reading per message, then arrays. Forewarn counts a reading once
 * it is stored and the rules engine has evaluated it; mosquitto, the baseline, once its one subscriber has it.
 */
import { join } from 'node:path';
import { Histogram } from './histogram.js';
import { influxUnavailable, type RunningInflux, startInflux } from './influx.js';
import { Loadgen } from './loadgen-client.js';
import type { DeviceLogin, PublishReply, Target } from './loadgen-protocol.js';
import { percentileCells, percentileColumns, prometheusQuantilesMs } from './percentiles.js';
import { CpuMeter } from './processes.js';
import { histogramDelta, type MetricsSnapshot } from './prometheus.js';
import type { Scale } from './scale.js';
import { ForewarnServer, Mosquitto } from './server.js';
import {
  type BenchContext,
  type Benchmark,
  check,
  type Measurement,
  part,
  type Row,
  type TargetCheck,
} from './types.js';

/** Readings durably stored, from ingest. */
export const STORED_METRIC = 'forewarn_readings_stored_total';
/** Readings the rules engine has evaluated. */
export const EVALUATED_METRIC = 'forewarn_rules_readings_evaluated_total';
/** Seconds from a reading's `ts` to its evaluation by the rules engine (the generator puts its send time in `ts`). */
export const EVALUATION_LAG_METRIC = 'forewarn_rules_evaluation_lag_seconds';

/**
 * Timestamps run ahead of the clock when a device sends several messages within a millisecond (they must stay
 * unique); `ts`-based latency then reads low by up to that lead (kept in each row). Beyond this it is not reported.
 */
const MAX_TIMESTAMP_LEAD_MS = 50;
const CONNECT_CONCURRENCY = 100;
/** A generator process above this share of a core was the bottleneck itself. */
const GENERATOR_BOUND_CORES = 0.9;
/** How long the pipeline may take to catch up after the last PUBACK before the phase counts as failed. */
const CATCH_UP_MS = 60_000;

export interface Phase {
  connections: number;
  readingsPerMessage: number;
  window: number;
  maxMessages: number;
}

/**
 * Single readings for every K, then arrays for every K: array readings run their devices' timestamps ahead of the
 * clock (they must stay unique per device), which would spoil the ts-based latency of a later single phase.
 */
export function ingestPhases(scale: Scale): Phase[] {
  const { ingest } = scale;
  return [
    ...ingest.connections.map((connections) => ({
      connections,
      readingsPerMessage: 1,
      window: ingest.singleWindow,
      maxMessages: ingest.singleMessages,
    })),
    ...ingest.connections.map((connections) => ({
      connections,
      readingsPerMessage: ingest.arrayReadings,
      window: ingest.arrayWindow,
      maxMessages: ingest.arrayMessages,
    })),
  ];
}

/** Keeps the generator connected as each phase needs, reconnecting only when the number of devices changes. */
class PhaseConnections {
  #current = 0;

  constructor(
    private readonly publisher: Loadgen,
    private readonly target: Target,
    private readonly logins: DeviceLogin[],
    private readonly system: string,
  ) {}

  async ensure(connections: number, progress: (message: string) => void): Promise<void> {
    if (this.#current === connections) return;
    if (this.#current > 0) await this.publisher.disconnect();
    progress(`${this.system}: connecting ${connections} devices`);
    const connected = await this.publisher.connect({
      target: this.target,
      devices: this.logins.slice(0, connections),
      concurrency: CONNECT_CONCURRENCY,
      keepalive: 0,
      timeoutMs: 120_000,
    });
    if (connected.failed > 0)
      throw new Error(`${this.system} refused connections: ${connected.errors.join('; ')}`);
    this.#current = connections;
  }
}

export function deviceIds(count: number, prefix = 'bench'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(6, '0')}`);
}

function baseRow(system: string, phase: Phase, result: PublishReply): Row {
  const latency = Histogram.fromJSON(result.ackLatency);
  return {
    system,
    connections: phase.connections,
    payload: phase.readingsPerMessage === 1 ? 'single' : `array of ${phase.readingsPerMessage}`,
    window: phase.window,
    messages: result.acked,
    readings: result.acked * phase.readingsPerMessage,
    ...percentileCells('ack', (q) => latency.quantileMs(q)),
    bound: result.stoppedBy,
    timestampLeadMs: result.maxTimestampLeadMs,
  };
}

async function mosquittoRows(
  context: BenchContext,
  logins: DeviceLogin[],
  phases: Phase[],
  notes: Set<string>,
): Promise<Row[]> {
  const { group, scale } = context;
  const broker = await Mosquitto.start(group, join(context.workDir, 'mosquitto'));
  const subscriber = Loadgen.start(group);
  const publisher = Loadgen.start(group);
  const rows: Row[] = [];
  try {
    await subscriber.subscribe({ target: broker.mqtt, filter: 'fleet/+/telemetry' });
    const devices = new PhaseConnections(publisher, broker.mqtt, logins, 'mosquitto');
    for (const phase of phases) {
      await devices.ensure(phase.connections, context.progress);
      context.progress(
        `mosquitto: ${phase.connections} connections, ${phase.readingsPerMessage} reading(s) per message`,
      );
      const cpu = new CpuMeter({
        server: broker.process,
        loadgen: publisher.process,
        subscriber: subscriber.process,
      });
      cpu.start();
      const result = complete(
        'mosquitto',
        await publisher.publish(publishCommand(phase, scale, context.seed)),
      );
      const delivered = await subscriber.settle({
        expected: result.acked,
        quietMs: 500,
        timeoutMs: CATCH_UP_MS,
      });
      const cores = cpu.stop();
      const seconds = (Math.max(delivered.lastAt, result.lastAckAt) - result.firstSendAt) / 1000;
      const delivery = Histogram.fromJSON(delivered.deliveryLatency);
      const single = phase.readingsPerMessage === 1;
      rows.push({
        ...baseRow('mosquitto', phase, result),
        // What the one subscriber received: messages the broker dropped do not count.
        readingsPerSecond: (delivered.received * phase.readingsPerMessage) / seconds,
        ratio: null,
        ...percentileCells('pipeline', single ? (q) => delivery.quantileMs(q) : null),
        serverCpu: cores.server.cores,
        serverCpuUsPerReading: (cores.server.seconds * 1e6) / (delivered.received * phase.readingsPerMessage),
        loadgenCpu: cores.loadgen.cores,
        subscriberCpu: cores.subscriber.cores,
      });
      noteGeneratorBound(notes, 'mosquitto', phase, cores.loadgen.cores);
    }
  } finally {
    await Promise.all([publisher.stop(), subscriber.stop(), broker.stop()]);
  }
  return rows;
}

/** Whoever used a whole core was the limit; when it is the generator, the row is a lower bound of the server. */
function noteGeneratorBound(notes: Set<string>, system: string, phase: Phase, generatorCores: number): void {
  if (generatorCores < GENERATOR_BOUND_CORES) return;
  const payload =
    phase.readingsPerMessage === 1 ? 'single readings' : `arrays of ${phase.readingsPerMessage}`;
  notes.add(
    `${system}, ${phase.connections} conns, ${payload}: the load generator used a whole core, so the figure is a ` +
      'lower bound of what the server could take',
  );
}

/** A phase in which the server dropped connections or left messages unacknowledged measured something else. */
function complete(system: string, result: PublishReply): PublishReply {
  if (result.closedByBroker > 0)
    throw new Error(`${system} closed ${result.closedByBroker} connections during the run`);
  if (result.acked < result.sent) {
    throw new Error(
      `${system} acknowledged ${result.acked} of ${result.sent} messages within the drain time`,
    );
  }
  return result;
}

function publishCommand(phase: Phase, scale: Scale, seed: number) {
  return {
    readingsPerMessage: phase.readingsPerMessage,
    window: phase.window,
    maxMessages: phase.maxMessages,
    durationMs: scale.ingest.seconds * 1000,
    drainMs: 30_000,
    seed,
  };
}

/**
 * Waits until the server has stored and evaluated `readings` more than at `before`; returns when (epoch ms) that was
 * first seen, or `settledAt` if it already held at the first look.
 */
async function waitProcessed(
  server: ForewarnServer,
  before: MetricsSnapshot,
  readings: number,
  settledAt: number,
) {
  const deadline = Date.now() + CATCH_UP_MS;
  const rules = before.has(EVALUATED_METRIC);
  for (let first = true; ; first = false) {
    const now = Date.now();
    const after = await server.metrics();
    const stored = after.sum(STORED_METRIC) - before.sum(STORED_METRIC);
    const evaluated = rules ? after.sum(EVALUATED_METRIC) - before.sum(EVALUATED_METRIC) : stored;
    if (stored >= readings && evaluated >= readings)
      return { at: first ? settledAt : now, after, stored, evaluated };
    if (now > deadline) {
      throw new Error(
        `after ${CATCH_UP_MS} ms only ${stored} of ${readings} readings were stored, ${evaluated} evaluated`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function forewarnRows(
  context: BenchContext,
  store: 'sqlite' | 'influx',
  phases: Phase[],
  notes: Set<string>,
): Promise<{ rows: Row[]; provisionMs: number }> {
  const { group, scale } = context;
  let influx: RunningInflux | undefined;
  let server: ForewarnServer | undefined;
  let publisher: Loadgen | undefined;
  const rows: Row[] = [];
  try {
    if (store === 'influx') influx = await startInflux(group, 'forewarn_bench');
    server = await ForewarnServer.start(group, {
      dataDir: join(context.workDir, `forewarn-${store}`),
      store,
      influxUrl: influx?.url,
      nodeFlags: context.serverNodeFlags,
    });
    const provisionStart = Date.now();
    const logins = await server.provision(deviceIds(Math.max(...scale.ingest.connections)));
    const provisionMs = Date.now() - provisionStart;
    publisher = Loadgen.start(group);
    const devices = new PhaseConnections(publisher, server.mqtt, logins, `forewarn/${store}`);
    for (const phase of phases) {
      await devices.ensure(phase.connections, context.progress);
      context.progress(
        `forewarn/${store}: ${phase.connections} connections, ${phase.readingsPerMessage} reading(s) per message`,
      );
      const before = await server.metrics();
      const cpu = new CpuMeter({ server: server.process, loadgen: publisher.process });
      cpu.start();
      const result = complete(
        `forewarn/${store}`,
        await publisher.publish(publishCommand(phase, scale, context.seed)),
      );
      const readings = result.acked * phase.readingsPerMessage;
      const done = await waitProcessed(server, before, readings, result.lastAckAt);
      const cores = cpu.stop();
      if (!before.has(EVALUATED_METRIC)) {
        notes.add(`the server exposes no ${EVALUATED_METRIC}: readings/s counts stored readings only`);
      }
      let lag = done.after.has(EVALUATION_LAG_METRIC)
        ? histogramDelta(
            before.histogram(EVALUATION_LAG_METRIC),
            done.after.histogram(EVALUATION_LAG_METRIC)!,
          )
        : null;
      if (lag === null)
        notes.add(`the server exposes no ${EVALUATION_LAG_METRIC}: no publish → rules latency`);
      if (phase.readingsPerMessage > 1 || result.maxTimestampLeadMs > MAX_TIMESTAMP_LEAD_MS) {
        // Array readings carry consecutive past timestamps, so ts-based latency would include that spacing.
        lag = null;
      }
      rows.push({
        ...baseRow(`forewarn/${store}`, phase, result),
        readingsPerSecond: readings / ((done.at - result.firstSendAt) / 1000),
        ratio: null,
        ...percentileCells('pipeline', prometheusQuantilesMs(lag)),
        serverCpu: cores.server.cores,
        serverCpuUsPerReading: (cores.server.seconds * 1e6) / readings,
        loadgenCpu: cores.loadgen.cores,
      });
      noteGeneratorBound(notes, `forewarn/${store}`, phase, cores.loadgen.cores);
    }
    return { rows, provisionMs };
  } finally {
    await publisher?.stop();
    await server?.stop();
    await influx?.stop();
  }
}

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  title: 'End-to-end ingest, QoS 1, stored and evaluated; mosquitto relay as the baseline',
  columns: [
    { key: 'system', label: 'system' },
    { key: 'connections', label: 'conns' },
    { key: 'payload', label: 'payload' },
    { key: 'window', label: 'window' },
    { key: 'readings', label: 'readings' },
    { key: 'readingsPerSecond', label: 'readings/s' },
    { key: 'ratio', label: 'vs mosquitto', digits: 2 },
    ...percentileColumns('ack', 'PUBACK', 2),
    ...percentileColumns('pipeline', 'rules/deliv', 1),
    { key: 'serverCpu', label: 'server CPU', digits: 2 },
    { key: 'serverCpuUsPerReading', label: 'server CPU µs/reading', digits: 2 },
    { key: 'loadgenCpu', label: 'gen CPU', digits: 2 },
    { key: 'bound', label: 'ended by' },
  ],

  async run(context): Promise<Measurement> {
    const phases = ingestPhases(context.scale);
    const notes = new Set<string>();
    const failures: string[] = [];
    const systems: Row[][] = [];

    if (Mosquitto.available()) {
      // An anonymous broker, but the same CONNECT packets: a password as long as the tokens Forewarn issues.
      const logins = deviceIds(Math.max(...context.scale.ingest.connections)).map((id) => ({
        id,
        token: 'x'.repeat(32),
      }));
      systems.push(
        (await part('mosquitto', failures, () => mosquittoRows(context, logins, phases, notes))) ?? [],
      );
      notes.add('mosquitto relays to one QoS 0 subscriber; its latency column is publish → delivery');
    } else {
      notes.add('mosquitto skipped: not installed (apt-get install mosquitto); no ratio');
    }
    notes.add(
      'publish → rules/delivery comes from `ts` (whole milliseconds); a window of messages leaves in one ' +
        'millisecond with timestamps 1 ms apart, so it may read low by up to the window (see timestampLeadMs)',
    );
    const sqlite = await part('forewarn/sqlite', failures, () =>
      forewarnRows(context, 'sqlite', phases, notes),
    );
    systems.push(sqlite?.rows ?? []);
    const influxMissing = context.scale.influxServers
      ? influxUnavailable()
      : `not in a ${context.scale.mode} run`;
    if (influxMissing) notes.add(`forewarn/influx skipped: ${influxMissing}`);
    else {
      const influx = await part('forewarn/influx', failures, () =>
        forewarnRows(context, 'influx', phases, notes),
      );
      systems.push(influx?.rows ?? []);
    }

    // One block per phase: the baseline first, then each store with its ratio to it.
    const samePhase = (a: Row, b: Row) => a.connections === b.connections && a.payload === b.payload;
    const baseline = systems.flat().filter((row) => row.system === 'mosquitto');
    const rows = phases.flatMap((_, i) =>
      systems.map((system) => system[i]).filter((row) => row !== undefined),
    );
    for (const row of rows) {
      const match = baseline.find((b) => samePhase(b, row));
      if (row.system !== 'mosquitto' && match && typeof row.readingsPerSecond === 'number') {
        row.ratio = row.readingsPerSecond / (match.readingsPerSecond as number);
      }
    }
    return { rows, notes: [...notes], failures, details: { provisionMs: sqlite?.provisionMs } };
  },

  targets(rows): TargetCheck[] {
    const checks: TargetCheck[] = [];
    for (const row of rows.filter((r) => r.system === 'forewarn/sqlite')) {
      const label = `sqlite, ${row.connections} conns, ${row.payload}`;
      if (row.payload === 'single') {
        checks.push(check(`${label}: readings/s`, row.readingsPerSecond, '>=', 40_000));
        checks.push(check(`${label}: ratio to mosquitto`, row.ratio, '>=', 0.5));
      } else {
        checks.push(check(`${label}: readings/s`, row.readingsPerSecond, '>=', 200_000));
      }
    }
    return checks;
  },
};
