import type { Reading } from '../../core/types.js';
import { DEVICE_ID_PATTERN, METRIC_NAME_PATTERN } from '../../core/wire.js';
import type { RangeQuery } from './port.js';

/**
 * A telemetry store failure that carries its retry decision: a writer keeps a retryable batch in its
 * buffer and tries again later; anything else would fail again the same way.
 */
export class TelemetryStoreError extends Error {
  constructor(
    message: string,
    /** Whether the same call may succeed later without changing it. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TelemetryStoreError';
  }
}

/** The store cannot be reached, is overloaded or out of space right now; retry the same call later. */
export class StoreUnavailableError extends TelemetryStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The store refused the call itself (bad data, bad query, store not open); repeating it fails again. */
export class StoreRequestError extends TelemetryStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, false, options);
    this.name = 'StoreRequestError';
  }
}

/** Whether `error` says the failed call may succeed if it is repeated later. */
export function isRetryable(error: unknown): boolean {
  return error instanceof TelemetryStoreError && error.retryable;
}

/** Timestamps a store accepts: integer epoch ms within ±2^48 (about ±8,900 years around 1970). */
export const MAX_ABS_TIMESTAMP = 2 ** 48;

/** Names a store has already accepted, so that checking them again can be skipped. */
export interface KnownNames {
  devices?: { has(device: string): boolean };
  metrics?: { has(metric: string): boolean };
}

/**
 * Refuses a batch that ingest should never have let through, naming the first bad reading, so that
 * a programming error cannot store something a backend would silently change.
 */
export function assertStorable(readings: readonly Reading[], known: KnownNames = {}): void {
  for (let i = 0; i < readings.length; i++) {
    const problem = readingProblem(readings[i], known);
    if (problem) throw new StoreRequestError(`reading ${i} of the batch cannot be stored: ${problem}`);
  }
}

function readingProblem(reading: Reading, known: KnownNames): string | null {
  const { device, ts, metrics } = reading;
  if (typeof device !== 'string' || !(known.devices?.has(device) || DEVICE_ID_PATTERN.test(device))) {
    return `device id ${JSON.stringify(device)} is invalid`;
  }
  if (!Number.isInteger(ts) || Math.abs(ts) > MAX_ABS_TIMESTAMP)
    return `ts ${ts} is not an integer epoch-ms time`;
  let count = 0;
  for (const name in metrics) {
    const value = metrics[name];
    if (!(known.metrics?.has(name) || METRIC_NAME_PATTERN.test(name))) {
      return `metric name ${JSON.stringify(name)} is invalid`;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) return `metric ${name} is not a finite number`;
    count++;
  }
  return count === 0 ? 'it has no metrics' : null;
}

/** Refuses a query no backend could answer: times that are not numbers, a negative or fractional limit or step. */
export function assertQueryable({ from, to, limit, step }: RangeQuery): void {
  if (!Number.isFinite(from) || !Number.isFinite(to))
    throw new StoreRequestError('from and to must be epoch ms');
  if (!Number.isInteger(limit) || limit < 0) throw new StoreRequestError('limit must be a whole number ≥ 0');
  if (step && !(Number.isInteger(step.ms) && step.ms > 0)) {
    throw new StoreRequestError('step must be a whole number of milliseconds > 0');
  }
}
