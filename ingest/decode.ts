import type { Reading, RejectReason } from '../core/types.js';
import { METRIC_NAME_PATTERN } from '../core/wire.js';
import { MAX_ABS_TIMESTAMP } from '../store/telemetry/errors.js';

export interface DecodeLimits {
  maxPayloadBytes: number;
  maxReadingsPerMessage: number;
  maxFutureSkewMs: number;
  /** Readings older than this many ms before `now` are refused (beyond retention). */
  maxAgeMs: number;
}

export interface DecodeProblem {
  reason: RejectReason;
  detail: string;
  /** Index in an array payload, when the problem is one element's. */
  index?: number;
}

export interface Decoded {
  readings: Reading[];
  problems: DecodeProblem[];
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Turns one telemetry payload into readings of `device` (carrying `deviceKey`, see Reading). Good readings in an
 * array survive bad neighbours; every problem is named. Pure: `now` is passed in.
 */
export function decodeTelemetry(
  device: string,
  payload: Buffer,
  now: number,
  limits: DecodeLimits,
  deviceKey?: number,
): Decoded {
  if (payload.length > limits.maxPayloadBytes) {
    return fail(
      'payload_too_large',
      `payload is ${payload.length} bytes; the limit is ${limits.maxPayloadBytes}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return fail('not_json', `payload is not JSON (${(error as Error).message})`);
  }
  if (Array.isArray(parsed)) {
    if (parsed.length > limits.maxReadingsPerMessage) {
      return fail(
        'too_many_readings',
        `${parsed.length} readings in one message; the limit is ${limits.maxReadingsPerMessage}`,
      );
    }
    const decoded: Decoded = { readings: [], problems: [] };
    parsed.forEach((element, index) => {
      const result = decodeReading(device, deviceKey, element, now, limits);
      if ('reason' in result) decoded.problems.push({ ...result, index });
      else decoded.readings.push(result);
    });
    return decoded;
  }
  const result = decodeReading(device, deviceKey, parsed, now, limits);
  return 'reason' in result ? { readings: [], problems: [result] } : { readings: [result], problems: [] };
}

function fail(reason: RejectReason, detail: string): Decoded {
  return { readings: [], problems: [{ reason, detail }] };
}

function decodeReading(
  device: string,
  deviceKey: number | undefined,
  value: unknown,
  now: number,
  limits: DecodeLimits,
): Reading | DecodeProblem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      reason: 'not_object',
      detail: 'a reading must be a JSON object like {"ts": …, "vibration_rms": 1.2}',
    };
  }
  const fields = value as Record<string, unknown>;
  const ts = parseTimestamp(fields.ts, now);
  if (typeof ts === 'string') return { reason: 'bad_timestamp', detail: ts };
  if (ts > now + limits.maxFutureSkewMs) {
    return {
      reason: 'future_timestamp',
      detail: `ts ${new Date(ts).toISOString()} is more than ${limits.maxFutureSkewMs / 60_000} minutes in the future`,
    };
  }
  if (ts < now - limits.maxAgeMs) {
    return {
      reason: 'too_old',
      detail: `ts ${new Date(ts).toISOString()} is older than the retention period`,
    };
  }
  const metrics: Record<string, number> = {};
  let count = 0;
  for (const name in fields) {
    if (name === 'ts') continue;
    if (!METRIC_NAME_PATTERN.test(name)) {
      return {
        reason: 'bad_metric_name',
        detail: `metric name '${name.slice(0, 80)}' must match [a-z][a-z0-9_]{0,63}`,
      };
    }
    const metric = fields[name];
    if (typeof metric !== 'number' || !Number.isFinite(metric)) {
      return {
        reason: 'bad_metric_value',
        detail: `metric '${name}' must be a finite number, got ${JSON.stringify(metric)?.slice(0, 40)}`,
      };
    }
    metrics[name] = metric;
    count++;
  }
  if (count === 0) return { reason: 'no_metrics', detail: 'the reading has no metrics' };
  return { device, deviceKey, ts, metrics };
}

/** Epoch ms or ISO-8601; absent means "now". Returns a description of the problem instead of a number. */
function parseTimestamp(ts: unknown, now: number): number | string {
  if (ts === undefined) return now;
  if (typeof ts === 'number') {
    return Number.isFinite(ts) && ts >= 0 && ts <= MAX_ABS_TIMESTAMP
      ? Math.trunc(ts)
      : `ts ${ts} is not a valid epoch-millisecond time`;
  }
  if (typeof ts === 'string' && ISO_8601.test(ts)) {
    const ms = Date.parse(ts);
    if (Number.isFinite(ms) && Math.abs(ms) <= MAX_ABS_TIMESTAMP) return ms;
  }
  return `ts ${JSON.stringify(ts)?.slice(0, 40)} is neither epoch milliseconds nor ISO-8601 with a time zone`;
}
