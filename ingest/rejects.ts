import type { EventBus } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import type { IngestReject, RejectReason } from '../core/types.js';

const EXCERPT_CHARS = 200;
const LOG_INTERVAL_MS = 10_000;
const LOGS_PER_INTERVAL = 20;

/**
 * The dead-letter list: every refused message is counted by reason, kept in a bounded ring, announced on the bus
 * and logged — at most LOGS_PER_INTERVAL lines per interval, so a misbehaving fleet cannot flood the log.
 */
export class RejectLog {
  readonly #ring: IngestReject[] = [];
  #next = 0;
  #loggedInInterval = 0;
  #suppressed = 0;
  #intervalStart = 0;

  constructor(
    private readonly capacity: number,
    private readonly deps: { metrics: Metrics; log: Logger; bus: EventBus; clock: () => number },
  ) {}

  record(device: string, reason: RejectReason, detail: string, payload: Buffer): void {
    const now = this.deps.clock();
    const reject: IngestReject = {
      at: new Date(now).toISOString(),
      device,
      reason,
      detail,
      excerpt: payload
        .subarray(0, EXCERPT_CHARS * 4)
        .toString('utf8')
        .slice(0, EXCERPT_CHARS),
    };
    if (this.#ring.length < this.capacity) this.#ring.push(reject);
    else this.#ring[this.#next] = reject;
    this.#next = (this.#next + 1) % this.capacity;
    this.deps.metrics.rejects.inc({ reason });
    this.deps.bus.emit('readingRejected', reject);
    this.#logLimited(now, reject);
  }

  /** Newest first. */
  recent(limit = this.capacity): IngestReject[] {
    const ordered = [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
    return ordered.reverse().slice(0, limit);
  }

  #logLimited(now: number, reject: IngestReject): void {
    if (now - this.#intervalStart >= LOG_INTERVAL_MS) {
      if (this.#suppressed > 0)
        this.deps.log.warn({ suppressed: this.#suppressed }, 'more ingest rejects not logged');
      this.#intervalStart = now;
      this.#loggedInInterval = 0;
      this.#suppressed = 0;
    }
    if (this.#loggedInInterval++ < LOGS_PER_INTERVAL) {
      this.deps.log.warn(
        { device: reject.device, reason: reject.reason },
        `telemetry rejected: ${reject.detail}`,
      );
    } else {
      this.#suppressed++;
    }
  }
}
