/**
 * Data-quality detectors: physically impossible values, stuck sensors and gaps in one metric. Their findings
 * carry data-quality codes only, and they tell the engine which readings the machine detectors must not see.
 */
import type { ModelRules } from '../config.js';
import { finding } from '../emit.js';
import type { Finding } from '../finding.js';
import { type DeviceState, DQ } from '../state.js';

/** Identical readings from this many on in a row are withheld from the machine detectors. */
export const REPEATS_WITHHELD_FROM = 3;

/**
 * Checks a value against the metric's physical range. An impossible value is counted (the count starts again
 * after `impossibleClearMs` without one); enough of them raise SENSOR-IMPOSSIBLE, and a possible value after
 * `impossibleClearMs` without an impossible one clears it. Returns true when the value is impossible.
 */
export function updateImpossible(
  dev: DeviceState,
  o: number,
  metric: string,
  ts: number,
  value: number,
  physical: { min: number; max: number },
  rules: ModelRules,
  out: Finding[],
): boolean {
  const s = dev.rows;
  const impossible = value < physical.min || value > physical.max;
  if (!impossible) {
    if (s[o + DQ.impossibleActive] === 1 && ts - s[o + DQ.impossibleLast] >= rules.impossibleClearMs) {
      s[o + DQ.impossibleActive] = 0;
      s[o + DQ.impossibleCount] = 0;
      out.push(finding(dev, metric, 'SENSOR-IMPOSSIBLE', 'warning', 'cleared', ts, { current: value }));
    }
    return false;
  }
  if (ts - s[o + DQ.impossibleLast] > rules.impossibleClearMs) s[o + DQ.impossibleCount] = 0;
  s[o + DQ.impossibleCount] += 1;
  if (ts > s[o + DQ.impossibleLast]) s[o + DQ.impossibleLast] = ts;
  if (s[o + DQ.impossibleActive] === 0 && s[o + DQ.impossibleCount] >= rules.impossibleMinReadings) {
    s[o + DQ.impossibleActive] = 1;
    out.push(
      finding(dev, metric, 'SENSOR-IMPOSSIBLE', 'warning', 'active', ts, {
        current: value,
        limit: value < physical.min ? physical.min : physical.max,
        note: `${s[o + DQ.impossibleCount]} values outside the physical range ${physical.min}…${physical.max}`,
      }),
    );
  }
  return true;
}

/**
 * Follows runs of identical in-order readings. A run of `minReadings` lasting `minMs` raises SENSOR-STUCK; the
 * first different value clears it. Returns true when the reading repeats its predecessors often enough that the
 * machine detectors should not see it (a stuck value must never look like a level or a trend).
 */
export function updateStuck(
  dev: DeviceState,
  o: number,
  metric: string,
  ts: number,
  value: number,
  minReadings: number,
  minMs: number,
  out: Finding[],
): boolean {
  const s = dev.rows;
  if (value === s[o + DQ.lastValue]) {
    s[o + DQ.runCount] += 1;
    if (s[o + DQ.stuck] === 0 && s[o + DQ.runCount] >= minReadings && ts - s[o + DQ.runStart] >= minMs) {
      s[o + DQ.stuck] = 1;
      out.push(
        finding(dev, metric, 'SENSOR-STUCK', 'warning', 'active', ts, {
          current: value,
          note: `${s[o + DQ.runCount]} identical readings since ${new Date(s[o + DQ.runStart]).toISOString()}`,
        }),
      );
    }
    return s[o + DQ.runCount] >= REPEATS_WITHHELD_FROM;
  }
  if (s[o + DQ.stuck] === 1) {
    s[o + DQ.stuck] = 0;
    out.push(finding(dev, metric, 'SENSOR-STUCK', 'warning', 'cleared', ts, { current: value }));
  }
  s[o + DQ.lastValue] = value;
  s[o + DQ.runCount] = 1;
  s[o + DQ.runStart] = ts;
  return false;
}

/** A usable value arrived: remember when, and end a data gap. */
export function noteValue(
  dev: DeviceState,
  o: number,
  metric: string,
  ts: number,
  value: number,
  out: Finding[],
): void {
  const s = dev.rows;
  if (!(s[o + DQ.lastValid] >= ts)) s[o + DQ.lastValid] = ts;
  if (s[o + DQ.gapActive] === 1) {
    s[o + DQ.gapActive] = 0;
    out.push(finding(dev, metric, 'DATA-GAP', 'info', 'cleared', ts, { current: value }));
  }
}

/** The device reported without a usable value of this metric: a data gap once that has lasted `gapMs`. */
export function noteMissing(
  dev: DeviceState,
  o: number,
  metric: string,
  ts: number,
  gapMs: number,
  out: Finding[],
): void {
  const s = dev.rows;
  // A metric never seen yet counts from the device's first reading.
  if (Number.isNaN(s[o + DQ.lastValid])) s[o + DQ.lastValid] = ts;
  if (s[o + DQ.gapActive] === 1 || ts - s[o + DQ.lastValid] < gapMs) return;
  s[o + DQ.gapActive] = 1;
  out.push(
    finding(dev, metric, 'DATA-GAP', 'info', 'active', ts, {
      current: s[o + DQ.lastValue],
      note: `no usable ${metric} since ${new Date(s[o + DQ.lastValid]).toISOString()}`,
    }),
  );
}

/**
 * Counts what a device delivers per window (from a reading, `delivery.windowMinutes` long) against its reporting
 * interval, taken as the shortest step between in-order readings of this window and the one before. Delivering
 * less than `minShare` of it is DATA-GAP on the device; a window at `clearShare` or more clears it. A window
 * broken by a silence past the offline time is an outage, OFFLINE's business, and is not judged. `step` is the
 * time since the previous in-order reading (NaN for a reading older than that).
 */
export function updateDelivery(
  dev: DeviceState,
  ts: number,
  step: number,
  metric: string,
  out: Finding[],
): void {
  const { delivery, offlineAfterMs } = dev.rules;
  if (step > 0 && step < dev.shortestStep) dev.shortestStep = step;
  if (Number.isNaN(dev.windowStart) || step >= offlineAfterMs) {
    dev.windowStart = ts;
    dev.windowCount = 1;
    return;
  }
  const span = ts - dev.windowStart;
  if (span < delivery.windowMs) {
    dev.windowCount++;
    return;
  }
  const interval = Math.min(dev.interval, dev.shortestStep);
  const share = Number.isFinite(interval) ? (dev.windowCount * interval) / span : 1;
  if (!dev.undelivered && share < delivery.minShare) {
    dev.undelivered = true;
    out.push(
      finding(dev, metric, 'DATA-GAP', 'info', 'active', ts, {
        current: share,
        limit: delivery.minShare,
        note: `${dev.windowCount} readings in ${Math.round(span / 60_000)} minutes at one per ${Math.round(interval / 1000)} s`,
      }),
    );
  } else if (dev.undelivered && share >= delivery.clearShare) {
    dev.undelivered = false;
    out.push(
      finding(dev, metric, 'DATA-GAP', 'info', 'cleared', ts, { current: share, limit: delivery.clearShare }),
    );
  }
  dev.interval = dev.shortestStep;
  dev.shortestStep = Number.POSITIVE_INFINITY;
  dev.windowStart = ts;
  dev.windowCount = 1;
}
