import type { EventBus } from '../core/bus.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { TelemetryStore } from '../store/telemetry/port.js';
import { GroupCommitter } from './committer.js';
import { type DecodeLimits, decodeTelemetry } from './decode.js';
import { DeviceRateLimiter } from './rate-limit.js';
import { RejectLog } from './rejects.js';

export interface IngestDeps {
  store: TelemetryStore;
  registry: DeviceRegistry;
  bus: EventBus;
  metrics: Metrics;
  log: Logger;
  clock?: () => number;
}

/** Called when ingest is done with a message: the broker then sends the PUBACK (QoS 1) or moves on. */
export type MessageDone = () => void;

/** The device a message came from, as its session authenticated it. */
export interface Sender {
  id: string;
  /** Its number in the platform's DeviceKeys, which its readings carry. */
  key: number;
}

/** Telemetry intake: validate, count and dead-letter what is bad, group-commit what is good. */
export class Ingest {
  readonly rejects: RejectLog;
  readonly #committer: GroupCommitter;
  readonly #limiter: DeviceRateLimiter;
  readonly #limits: DecodeLimits;
  readonly #clock: () => number;
  /** Messages held back by the rate limit, so shutdown can still take them in. */
  readonly #throttled = new Map<NodeJS.Timeout, () => void>();

  constructor(
    config: Config,
    private readonly deps: IngestDeps,
  ) {
    this.#clock = deps.clock ?? Date.now;
    const { ingest } = config;
    this.#limits = {
      maxPayloadBytes: ingest.maxPayloadBytes,
      maxReadingsPerMessage: ingest.maxReadingsPerMessage,
      maxFutureSkewMs: ingest.maxFutureSkewMs,
      maxAgeMs: config.store.retentionDays * 86_400_000,
    };
    const shared = { bus: deps.bus, metrics: deps.metrics, log: deps.log, clock: this.#clock };
    this.rejects = new RejectLog(ingest.rejectLogSize, shared);
    this.#committer = new GroupCommitter(deps.store, ingest, {
      ...shared,
      onUnstorable: (reading, error) =>
        this.rejects.record(
          reading.device,
          'unstorable',
          `the store refused this reading: ${(error as Error).message}`,
          Buffer.from(JSON.stringify({ ts: reading.ts, ...reading.metrics })),
        ),
    });
    this.#limiter = new DeviceRateLimiter(ingest.deviceRateLimit, this.#clock);
    deps.bus.on('deviceRemoved', (id) => this.#limiter.forget(id));
  }

  /**
   * Handles one telemetry message. With `durable` set (QoS 1) `done` runs only once every good reading in it is
   * committed; otherwise as soon as they are buffered.
   */
  handleTelemetry(sender: Sender, payload: Buffer, durable: boolean, done: MessageDone): void {
    this.deps.metrics.messagesReceived.inc();
    const delay = this.#limiter.delayFor(sender.id);
    if (delay > 0) {
      this.deps.metrics.throttled.inc();
      const resume = () => {
        this.#throttled.delete(timer);
        this.#process(sender, payload, durable, done);
      };
      const timer = setTimeout(resume, delay);
      this.#throttled.set(timer, resume);
    } else {
      this.#process(sender, payload, durable, done);
    }
  }

  #process(sender: Sender, payload: Buffer, durable: boolean, done: MessageDone): void {
    const now = this.#clock();
    const device = sender.id;
    this.deps.registry.markSeen(device, now);
    const { readings, problems } = decodeTelemetry(device, payload, now, this.#limits, sender.key);
    for (const problem of problems) {
      const where = problem.index === undefined ? '' : `reading ${problem.index}: `;
      this.rejects.record(device, problem.reason, where + problem.detail, payload);
    }
    if (readings.length === 0) {
      done();
      return;
    }
    this.deps.metrics.readingsAccepted.inc(readings.length);
    this.#committer.add(readings, durable ? { durable: done } : { accepted: done });
  }

  /** Commits everything accepted so far. */
  drain(): Promise<void> {
    return this.#committer.drain();
  }

  /** Takes in the messages still held back by the rate limit, commits everything, and refuses further messages. */
  close(): Promise<void> {
    for (const [timer, resume] of this.#throttled) {
      clearTimeout(timer);
      resume();
    }
    return this.#committer.close();
  }
}
