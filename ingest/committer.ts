import type { EventBus } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import type { Reading } from '../core/types.js';
import { isRetryable } from '../store/telemetry/errors.js';
import type { TelemetryStore } from '../store/telemetry/port.js';

export interface CommitterOptions {
  /** Commit as soon as a batch holds this many readings. */
  batchMaxReadings: number;
  /** Commit at the latest this long after a batch's first reading. */
  batchWindowMs: number;
  /** Readings held (pending + being committed + waiting for retry); beyond it, callers wait. */
  maxBufferedReadings: number;
  /** First and longest pause between retries of a failed commit. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

type Durable = () => void;

interface Batch {
  readings: Reading[];
  /** Called once the batch is committed: QoS 1 PUBACKs wait on these. */
  onDurable: Durable[];
}

/**
 * Group commit: readings from many messages are written in one store transaction, by size or after a short
 * window. A QoS 1 message is acknowledged only once the batch holding it is durable (see broker/broker.ts). When
 * the store fails, the batch is retried with backoff while new readings queue up to `maxBufferedReadings`; past
 * that, `add` holds back its caller, which withholds PUBACKs and stops reading from the device's socket. Nothing
 * that was accepted is dropped.
 *
 * A store that takes several writes at once (`writeConcurrency`) gets up to that many commits in flight; they
 * are still acknowledged and handed on (readingsStored) in the order the batches were formed, so the rules
 * engine sees every device's readings in arrival order.
 */
export class GroupCommitter {
  #pending: Batch = { readings: [], onDurable: [] };
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  /** Settles once every batch started so far is acknowledged; each batch's acknowledgement waits on it. */
  #acknowledged: Promise<void> = Promise.resolve();
  #buffered = 0;
  #retryDelay: number;
  /** Callers waiting for buffer space, in arrival order. */
  readonly #waitingForSpace: Array<() => void> = [];
  readonly #drained: Array<() => void> = [];
  #closed = false;

  constructor(
    private readonly store: TelemetryStore,
    private readonly options: CommitterOptions,
    private readonly deps: {
      bus: EventBus;
      metrics: Metrics;
      log: Logger;
      clock: () => number;
      /** Receives a reading the store refuses outright; it is not retried. */
      onUnstorable: (reading: Reading, error: unknown) => void;
    },
  ) {
    this.#retryDelay = options.retryMinMs ?? 50;
  }

  /** Readings accepted and not yet committed. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Queues readings. `accepted` runs once they are buffered (QoS 0 acknowledges then); `durable` once committed.
   * Either may be delayed while the buffer is full.
   */
  add(readings: Reading[], callbacks: { accepted?: () => void; durable?: Durable }): void {
    if (this.#closed) throw new Error('ingest is shut down');
    const enqueue = () => {
      this.#pending.readings.push(...readings);
      if (callbacks.durable) this.#pending.onDurable.push(callbacks.durable);
      this.#setBuffered(this.#buffered + readings.length);
      callbacks.accepted?.();
      if (this.#pending.readings.length >= this.options.batchMaxReadings) this.#flushSoon(0);
      else this.#flushSoon(this.options.batchWindowMs);
    };
    const fits = this.#buffered + readings.length <= this.options.maxBufferedReadings || this.#buffered === 0;
    // Arrivals queue behind callers already waiting, so a large message cannot be overtaken for ever.
    if (fits && this.#waitingForSpace.length === 0) enqueue();
    else {
      this.#waitingForSpace.push(enqueue);
      this.deps.metrics.backpressure.set(1);
    }
  }

  /** Resolves when everything accepted so far is committed. */
  drain(): Promise<void> {
    if (this.#buffered === 0 && this.#waitingForSpace.length === 0) return Promise.resolve();
    this.#flushSoon(0);
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Commits what is buffered and refuses further readings. */
  async close(): Promise<void> {
    await this.drain();
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #flushSoon(delayMs: number): void {
    if (this.#inFlight >= this.store.writeConcurrency) return; // a finishing commit picks up the next batch
    // With nothing in flight, whatever gathered during the last commit goes at once (that is the group commit);
    // beside commits in flight, a batch waits until it is full or its window has passed.
    const full = this.#pending.readings.length >= this.options.batchMaxReadings;
    const wait = this.#inFlight === 0 || full ? delayMs : Math.max(delayMs, this.options.batchWindowMs);
    if (this.#timer && wait > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#startCommit();
    }, wait);
  }

  #startCommit(): void {
    if (this.#pending.readings.length === 0 || this.#inFlight >= this.store.writeConcurrency) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = { readings: [], onDurable: [] };
    this.#inFlight++;
    const written = this.#commitWithRetry(batch.readings).then(
      () => true,
      (error: unknown) => {
        this.deps.log.error(
          { err: error, readings: batch.readings.length },
          'telemetry commit failed unexpectedly; its messages stay unacknowledged',
        );
        return false;
      },
    );
    void written.then(() => {
      this.#inFlight--;
      // Once this turn's acknowledgements have gone out (they are promise callbacks, so they run first).
      setImmediate(() => {
        if (this.#pending.readings.length === 0) return;
        if (this.#inFlight === 0) this.#startCommit();
        else this.#flushSoon(0);
      });
    });
    this.#acknowledged = this.#acknowledged
      .then(() => written)
      .then((stored) => {
        if (stored) this.#acknowledge(batch);
      })
      .catch((error: unknown) => this.deps.log.error({ err: error }, 'acknowledging a commit failed'));
  }

  #acknowledge(batch: Batch): void {
    this.#setBuffered(this.#buffered - batch.readings.length);
    for (const durable of batch.onDurable) durable();
    this.deps.bus.emit('readingsStored', { readings: batch.readings, committedAt: this.deps.clock() });
    this.#admitWaiting();
    if (this.#buffered === 0 && this.#waitingForSpace.length === 0) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  /**
   * Writes readings, retrying for as long as the store says a retry can help. A batch the store refuses outright
   * (not retryable) is split in halves until the readings it refuses are isolated: those go to `onUnstorable`, the
   * rest is stored, so one bad reading cannot hold up the whole fleet.
   */
  async #commitWithRetry(readings: Reading[]): Promise<void> {
    for (;;) {
      const started = performance.now();
      try {
        const result = await this.store.write(readings);
        const { metrics } = this.deps;
        metrics.commitSeconds.observe((performance.now() - started) / 1000);
        metrics.batchSize.observe(readings.length);
        metrics.readingsStored.inc(result.stored);
        metrics.duplicateReadings.inc(result.duplicates);
        this.#retryDelay = this.options.retryMinMs ?? 50;
        return;
      } catch (error) {
        this.deps.metrics.commitFailures.inc();
        if (!isRetryable(error)) {
          if (readings.length === 1) {
            this.deps.onUnstorable(readings[0], error);
            return;
          }
          const half = Math.ceil(readings.length / 2);
          await this.#commitWithRetry(readings.slice(0, half));
          await this.#commitWithRetry(readings.slice(half));
          return;
        }
        this.deps.log.error(
          { err: error, readings: readings.length, buffered: this.#buffered, retryInMs: this.#retryDelay },
          'telemetry commit failed; holding the batch and retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, this.#retryDelay));
        this.#retryDelay = Math.min(this.#retryDelay * 2, this.options.retryMaxMs ?? 5_000);
      }
    }
  }

  #admitWaiting(): void {
    while (this.#waitingForSpace.length > 0 && this.#buffered < this.options.maxBufferedReadings) {
      this.#waitingForSpace.shift()?.();
    }
  }

  #setBuffered(count: number): void {
    this.#buffered = count;
    this.deps.metrics.bufferedReadings.set(count);
    this.deps.metrics.backpressure.set(this.#waitingForSpace.length > 0 ? 1 : 0);
  }
}
