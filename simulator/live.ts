/**
 * Live mode: the planned fleet as real MQTT devices. A simulated clock runs `speed` times faster than
 * the wall clock from the simulated start until it reaches the present, then keeps pace with it, so
 * timestamps are never in the future. Weeks of degradation can thus be replayed in minutes.
 */
import { createSimulatedFleet, observedFailures } from './fleet.js';
import { metricDecimals } from './format.js';
import { LiveDevice, type LiveLinkOptions } from './live-device.js';
import { type FleetPlan, type PlannedDevice, planFleet, type SimulationOptionsInput } from './plan.js';
import { DAY_MS } from './time.js';
import { buildTruth, type GroundTruth } from './truth.js';

export interface LiveFleetOptions extends Omit<SimulationOptionsInput, 'start'>, Partial<LiveLinkOptions> {
  brokerUrl: string;
  /** Each device's MQTT token by id, or how to get them (e.g. provisioning through the API). */
  credentials:
    | ReadonlyMap<string, string>
    | ((devices: readonly PlannedDevice[]) => Promise<ReadonlyMap<string, string>>);
  /** Simulated seconds per wall-clock second until the simulated clock reaches the present. */
  speed: number;
  /** Simulated start, epoch ms; default: `days` before now, so the plan ends when the clock catches up. */
  start?: number;
  /** Real-time tick: each device sends what became due at most this often, ms. */
  tickMs?: number;
  /** Wall clock (tests may pass their own). */
  now?: () => number;
}

export interface LiveFleetStats {
  /** Simulated time, epoch ms. */
  simulatedTime: number;
  /** True once the simulated clock has reached the wall clock and runs in real time. */
  caughtUp: boolean;
  devices: number;
  connected: number;
  /** Readings produced by the devices. */
  generated: number;
  /** Readings the broker acknowledged. */
  acknowledged: number;
  /** Readings waiting in offline buffers or unacknowledged. */
  pending: number;
  /** Readings lost because an offline buffer was full. */
  dropped: number;
  messages: number;
  reconnects: number;
  authFailures: number;
  /** Machine faults that reached the critical level so far. */
  failures: Array<{ device: string; kind: string; at: number }>;
}

export interface LiveFleet {
  plan: FleetPlan;
  stats(): LiveFleetStats;
  /** The ground truth as far as the simulated clock has come (failures not reached yet are null). */
  truth(): GroundTruth;
  /** Stops the clock, sends what devices still buffer (briefly), marks them offline and disconnects. */
  stop(): Promise<void>;
}

const DEFAULT_LINK: LiveLinkOptions = {
  brokerUrl: '',
  maxBufferedReadings: 10_000,
  maxReadingsPerMessage: 500,
  maxMessagesPerTick: 2,
  maxInflight: 4,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  drainTimeoutMs: 5_000,
};
/** Devices that open their connection per tick at start-up, so a large fleet does not knock all at once. */
const CONNECTS_PER_TICK = 50;

export async function startLiveFleet(options: LiveFleetOptions): Promise<LiveFleet> {
  const now = options.now ?? Date.now;
  const speed = options.speed;
  if (!(speed >= 1)) throw new Error('speed must be at least 1 (simulated seconds per wall-clock second)');
  const tickMs = Math.max(100, options.tickMs ?? 500);
  const wallStart = now();
  const start = options.start ?? Math.floor((wallStart - options.days * DAY_MS) / 1000) * 1000;
  if (start > wallStart)
    throw new Error('the simulated start may not lie in the future: readings would be refused');
  const plan = planFleet({ ...options, start });
  const fleet = createSimulatedFleet(plan);
  const credentials =
    typeof options.credentials === 'function' ? await options.credentials(plan.devices) : options.credentials;
  const missing = plan.devices.filter((device) => !credentials.has(device.id)).map((device) => device.id);
  if (missing.length > 0)
    throw new Error(`no MQTT token for ${missing.length} devices (${missing.slice(0, 3).join(', ')}…)`);

  const link: LiveLinkOptions = { ...DEFAULT_LINK, ...definedOnly(options), brokerUrl: options.brokerUrl };
  const decimals = fleet.columns.map(metricDecimals);
  const devices = fleet.feeds.map(
    (feed) =>
      new LiveDevice(
        feed,
        credentials.get(feed.simulator.device.id) as string,
        plan.intervalMs,
        start,
        fleet.columns,
        decimals,
        link,
      ),
  );

  const simulatedNow = () => Math.min(now(), start + (now() - wallStart) * speed);
  let started = 0;
  const tick = () => {
    const target = Math.min(devices.length, started + CONNECTS_PER_TICK);
    for (; started < target; started++) devices[started].start();
    const simulated = simulatedNow();
    for (const device of devices) device.advance(simulated);
  };
  tick();
  const timer = setInterval(tick, tickMs);

  return {
    plan,
    stats() {
      const simulatedTime = simulatedNow();
      const stats: LiveFleetStats = {
        simulatedTime,
        caughtUp: simulatedTime >= now(),
        devices: devices.length,
        connected: 0,
        generated: 0,
        acknowledged: 0,
        pending: 0,
        dropped: 0,
        messages: 0,
        reconnects: 0,
        authFailures: 0,
        failures: [],
      };
      for (const device of devices) {
        const { counters } = device;
        if (device.isConnected) stats.connected++;
        stats.generated += counters.generated;
        stats.acknowledged += counters.acknowledged;
        stats.pending += device.pending;
        stats.dropped += device.buffer.dropped;
        stats.messages += counters.messages;
        stats.reconnects += counters.reconnects;
        stats.authFailures += counters.authFailures;
        const { failedAt, machineFault } = device.feed.simulator;
        if (machineFault && failedAt !== null)
          stats.failures.push({ device: device.id, kind: machineFault.kind, at: failedAt });
      }
      return stats;
    },
    truth: () => buildTruth(plan, observedFailures(fleet)),
    async stop() {
      clearInterval(timer);
      await Promise.all(devices.map((device) => device.stop()));
    },
  };
}

function definedOnly(options: Partial<LiveLinkOptions>): Partial<LiveLinkOptions> {
  const out: Partial<LiveLinkOptions> = {};
  for (const key of Object.keys(DEFAULT_LINK) as Array<keyof LiveLinkOptions>) {
    const value = options[key];
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
