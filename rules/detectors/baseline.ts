/**
 * The learned baseline: during warm-up the unit's bucket means (and, where a load explains part of the level,
 * the bucket loads) go into its ring; at the end of warm-up the load's effect is fitted by least squares and the
 * median and scaled MAD of what the load does not explain become the unit's level and spread. Afterwards both
 * follow the unit slowly, but only while it is healthy, so a developing fault is never learned as normal.
 */
import { RING_CAPACITY } from '../config.js';
import { M, type MetricCursor } from '../state.js';
import { linearFit, MEAN_ABS_TO_SIGMA, robustBaseline } from '../stats.js';

const DAY = 86_400_000;

/** The spread never falls below the configured floors, absolute and relative to the level. */
function spreadFloor(c: MetricCursor, level: number): number {
  return Math.max(c.rules.minSpread, c.rules.minSpreadShare * Math.abs(level));
}

/** Writes a bucket mean (NaN when it had too few readings) and its load into the rings, marking skipped buckets missing. */
export function writeRing(c: MetricCursor, bucket: number, value: number, load: number): void {
  const { s, m, ring, r, rx } = c;
  const head = s[m + M.ringHead];
  const from = Number.isNaN(head) ? bucket : Math.max(head + 1, bucket - RING_CAPACITY + 1);
  for (let b = from; b < bucket; b++) {
    ring[r + (b % RING_CAPACITY)] = Number.NaN;
    if (rx >= 0) ring[rx + (b % RING_CAPACITY)] = Number.NaN;
  }
  ring[r + (bucket % RING_CAPACITY)] = value;
  if (rx >= 0) ring[rx + (bucket % RING_CAPACITY)] = load;
  s[m + M.ringHead] = bucket;
}

/** A bucket mean with the load's effect taken out: the level the unit would show at the reference load. */
export function loadNormalised(c: MetricCursor, mean: number, load: number): number {
  const slope = c.s[c.m + M.loadSlope];
  return slope === 0 ? mean : mean + slope * (c.s[c.m + M.loadHigh] - load);
}

/**
 * True when a bucket's load lies outside the range the unit was learned in (by more than a tenth of that range):
 * the baseline would be extrapolated, so such a bucket is learned from, not judged.
 */
export function novelLoad(c: MetricCursor, load: number): boolean {
  if (c.rx < 0) return false;
  const low = c.s[c.m + M.loadLow];
  const high = c.s[c.m + M.loadHigh];
  const margin = 0.1 * (high - low) + 1e-6 * Math.max(1, Math.abs(high));
  return load > high + margin || load < low - margin;
}

/**
 * Fits the baseline to the last `window` buckets of the ring. With a load, its effect is the least-squares slope
 * of value on load (when significantly positive) and the loads seen widen the learned range; level and spread
 * are the median and scaled MAD of what the load leaves unexplained, quoted at the top of that range. Returns
 * false when fewer than `minWarmupBuckets` buckets hold a value.
 */
export function fitBaseline(c: MetricCursor, bucket: number, window: number): boolean {
  const { s, m, ring, r, rx } = c;
  const slots = Array.from({ length: window }, (_, i) => (bucket - i) % RING_CAPACITY);
  const values = slots.map((slot) => ring[r + slot]);
  const valid = values.filter(Number.isFinite).length;
  if (valid < c.rules.minWarmupBuckets) return false;
  let slope = 0;
  if (rx >= 0) {
    const loads = slots.map((slot) => ring[rx + slot]);
    const fit = linearFit(loads, values, window);
    slope = fit && fit.slope > 2 * fit.slopeStdErr ? fit.slope : 0;
    for (let i = 0; i < window; i++) {
      if (!Number.isFinite(values[i])) continue;
      if (!(loads[i] >= s[m + M.loadLow])) s[m + M.loadLow] = loads[i];
      if (!(loads[i] <= s[m + M.loadHigh])) s[m + M.loadHigh] = loads[i];
    }
    for (let i = 0; i < window; i++) values[i] += slope * (s[m + M.loadHigh] - loads[i]);
  }
  const baseline = robustBaseline(values, valid, 0);
  if (!baseline) return false;
  s[m + M.loadSlope] = slope;
  s[m + M.level] = baseline.level;
  const spread = Math.max(baseline.spread, spreadFloor(c, baseline.level));
  // A refit may widen the spread, never narrow it: what the unit has shown once it may show again.
  s[m + M.spread] = s[m + M.warm] === 1 ? Math.max(s[m + M.spread], spread) : spread;
  return true;
}

/**
 * Completes the warm-up once it has covered `warmupBuckets` and holds `minWarmupBuckets` bucket values (a unit
 * that rarely runs in its judged state takes longer, up to the whole ring). Returns true when warm-up ended.
 */
export function finishWarmup(c: MetricCursor, bucket: number): boolean {
  const { s, m, rules } = c;
  if (Number.isNaN(s[m + M.warmStart])) s[m + M.warmStart] = bucket;
  const elapsed = bucket - s[m + M.warmStart] + 1;
  if (elapsed < rules.warmupBuckets) return false;
  if (!fitBaseline(c, bucket, Math.min(elapsed, RING_CAPACITY))) return false;
  s[m + M.warm] = 1;
  return true;
}

/** Lets a healthy bucket pull the baseline towards itself, with time constant `adaptDays`. */
export function adaptBaseline(c: MetricCursor, mean: number): void {
  const { s, m, rules } = c;
  const alpha = rules.bucketMs / (rules.adaptDays * DAY);
  const residual = mean - s[m + M.level];
  const level = s[m + M.level] + alpha * residual;
  s[m + M.level] = level;
  const spread = s[m + M.spread] + alpha * (MEAN_ABS_TO_SIGMA * Math.abs(residual) - s[m + M.spread]);
  s[m + M.spread] = Math.max(spread, spreadFloor(c, level));
}
