/**
 * One simulated device on the network: its own MQTT connection and credentials, a retained `online`
 * status with a last will `offline`, QoS 1 telemetry, reconnection with exponential backoff, and a
 * bounded offline buffer that is sent as array payloads when the link returns. A batch that was not
 * acknowledged when the link dropped goes back to the front of the buffer, so nothing is lost.
 */
import { setTimeout as delay } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { topics, type WireReading } from '../core/wire.js';
import { BoundedQueue } from './bounded-queue.js';
import type { DeviceFeed, ReadingSink } from './feed.js';
import { roundTo } from './format.js';
import { Rng } from './random.js';

export interface LiveLinkOptions {
  brokerUrl: string;
  /** Readings the device keeps while it cannot send; beyond it the oldest are dropped (and counted). */
  maxBufferedReadings: number;
  /** Readings per MQTT message at most (the platform refuses more than 1000). */
  maxReadingsPerMessage: number;
  /** Messages sent per real-time tick at most: keeps a device to a few messages a second. */
  maxMessagesPerTick: number;
  /** Unacknowledged messages at most. */
  maxInflight: number;
  /** Reconnect backoff: first delay and ceiling, ms. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** How long a stop waits for the buffer to drain, ms. */
  drainTimeoutMs: number;
}

export interface LiveDeviceCounters {
  /** Readings produced by the device (what arrives from its sensors, after data-quality faults). */
  generated: number;
  /** Readings the broker acknowledged. */
  acknowledged: number;
  messages: number;
  reconnects: number;
  authFailures: number;
}

interface Inflight {
  batch: WireReading[];
}

export class LiveDevice {
  readonly counters: LiveDeviceCounters = {
    generated: 0,
    acknowledged: 0,
    messages: 0,
    reconnects: 0,
    authFailures: 0,
  };
  readonly buffer: BoundedQueue<WireReading>;
  /** The last connection or authentication problem, for people to read. */
  lastError: string | null = null;
  private client: MqttClient | null = null;
  private connected = false;
  private generation = 0;
  private inflight = new Map<number, Inflight>();
  private sequence = 0;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private poweredOff = false;
  private stopping = false;
  private nextReadingAt: number;
  private readonly jitter: Rng;
  private readonly sink: ReadingSink;

  constructor(
    readonly feed: DeviceFeed,
    private readonly token: string,
    private readonly intervalMs: number,
    firstTick: number,
    columns: readonly string[],
    decimals: readonly number[],
    private readonly options: LiveLinkOptions,
  ) {
    this.buffer = new BoundedQueue(options.maxBufferedReadings);
    this.nextReadingAt = firstTick + feed.simulator.device.phaseMs;
    this.jitter = new Rng(feed.simulator.device.index + 1);
    const slots = feed.simulator.reportedSlots;
    this.sink = (ts, values) => {
      const reading: WireReading = { ts };
      for (const slot of slots)
        if (!Number.isNaN(values[slot])) reading[columns[slot]] = roundTo(values[slot], decimals[slot]);
      this.buffer.push(reading);
      this.counters.generated++;
    };
  }

  get id(): string {
    return this.feed.simulator.device.id;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Readings waiting to be sent or acknowledged. */
  get pending(): number {
    let inflight = 0;
    for (const entry of this.inflight.values()) inflight += entry.batch.length;
    return this.buffer.length + inflight;
  }

  start(): void {
    this.connect();
  }

  /** Generates every reading due up to simulated time `now` and sends what the link allows. */
  advance(now: number): void {
    if (this.stopping) return;
    while (this.nextReadingAt <= now) {
      this.feed.emit(this.nextReadingAt, this.sink);
      this.nextReadingAt += this.intervalMs;
    }
    const offline = this.feed.isOffline(now);
    if (offline && !this.poweredOff) this.powerOff();
    else if (!offline && this.poweredOff) {
      this.poweredOff = false;
      this.connect();
    }
    this.send();
  }

  /** Sends what is left (within `drainTimeoutMs`), says `offline` and disconnects. */
  async stop(): Promise<void> {
    const deadline = Date.now() + this.options.drainTimeoutMs;
    while (this.connected && this.pending > 0 && Date.now() < deadline) {
      this.send();
      await delay(20);
    }
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    this.generation++;
    if (!client) return;
    client.removeAllListeners('close');
    const wasConnected = this.connected;
    this.connected = false;
    if (wasConnected) {
      // A clean DISCONNECT discards the will (MQTT-3.14.4-3), so the status is set by hand.
      await client
        .publishAsync(topics.status(this.id), 'offline', { qos: 1, retain: true })
        .catch(() => undefined);
    }
    // A broker that stopped answering must not hold the stop up.
    const ended = client.endAsync(!wasConnected).catch(() => undefined);
    if ((await Promise.race([ended.then(() => true), delay(2_000).then(() => false)])) === false)
      client.end(true);
  }

  private connect(): void {
    if (this.stopping || this.poweredOff || this.client) return;
    const generation = ++this.generation;
    const client = mqtt.connect(this.options.brokerUrl, {
      clientId: this.id,
      username: this.id,
      password: this.token,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      // Reconnection is ours, with backoff; and mqtt.js then fails unacknowledged sends back to us.
      reconnectPeriod: 0,
      will: { topic: topics.status(this.id), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      if (generation !== this.generation) return;
      this.connected = true;
      this.attempts = 0;
      this.lastError = null;
      client.publish(topics.status(this.id), 'online', { qos: 1, retain: true });
      this.send();
    });
    client.on('error', (error: Error & { code?: number | string }) => {
      if (error.code === 4 || error.code === 5 || error.code === 134 || error.code === 135)
        this.counters.authFailures++;
      this.lastError = error.message;
    });
    client.on('close', () => {
      if (generation === this.generation) this.linkLost();
    });
  }

  private linkLost(): void {
    const client = this.client;
    this.client = null;
    this.connected = false;
    this.generation++;
    this.requeueInflight();
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
    }
    if (this.stopping || this.poweredOff) return;
    const delay = Math.min(this.options.backoffMaxMs, this.options.backoffInitialMs * 2 ** this.attempts);
    this.attempts++;
    this.counters.reconnects++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay * this.jitter.uniform(0.5, 1));
  }

  /** Simulated power loss: the connection just drops, so the broker publishes the will. */
  private powerOff(): void {
    this.poweredOff = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    if (client) {
      client.stream.destroy();
      this.linkLost();
    }
  }

  private requeueInflight(): void {
    const batches = [...this.inflight.entries()]
      .sort((a, b) => a[0] - b[0])
      .flatMap(([, entry]) => entry.batch);
    this.inflight.clear();
    if (batches.length > 0) this.buffer.unshift(batches);
  }

  private send(): void {
    const client = this.client;
    if (!client || !this.connected) return;
    const generation = this.generation;
    for (let sent = 0; sent < this.options.maxMessagesPerTick; sent++) {
      if (this.buffer.length === 0 || this.inflight.size >= this.options.maxInflight) return;
      const batch = this.buffer.take(this.options.maxReadingsPerMessage);
      const sequence = ++this.sequence;
      this.inflight.set(sequence, { batch });
      const payload = JSON.stringify(batch.length === 1 ? batch[0] : batch);
      this.counters.messages++;
      client.publish(topics.telemetry(this.id), payload, { qos: 1 }, (error) => {
        if (generation !== this.generation || !this.inflight.delete(sequence)) return;
        if (error) this.buffer.unshift(batch);
        else this.counters.acknowledged += batch.length;
      });
    }
  }
}
