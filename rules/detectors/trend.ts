/**
 * Trend and time-to-critical: a least-squares line through the last `trend.windowHours` of bucket means,
 * extrapolated to the model's critical level with a ±2 standard error range. A significant rise of a unit that
 * is already above its baseline, heading for the critical level within the horizon, is a trend.
 */
import { RING_CAPACITY } from '../config.js';
import { M, type MetricCursor } from '../state.js';
import { forecastCrossing, linearFit } from '../stats.js';
import { loadNormalised } from './baseline.js';
import { DRIFT_NONE } from './drift.js';

const HOUR = 3_600_000;
/** Buckets since a detected change needed before the fit uses them alone. */
const MIN_SINCE_CHANGE = 6;

/** Reusable arrays for the regression, so evaluating a trend allocates nothing. */
export interface TrendScratch {
  xs: Float64Array;
  ys: Float64Array;
}

export function createTrendScratch(): TrendScratch {
  return { xs: new Float64Array(RING_CAPACITY), ys: new Float64Array(RING_CAPACITY) };
}

/**
 * Refits the trend after a bucket closed at `at` (the data time of the reading that closed it), updating the
 * prediction. `critical` is the critical level in the units the ring holds. Returns true when the trend state
 * changed.
 */
export function updateTrend(c: MetricCursor, critical: number, at: number, scratch: TrendScratch): boolean {
  const { s, m, ring, r, rx, rules } = c;
  const head = s[m + M.ringHead];
  // After a detected change the line is fitted to what came since (when that is enough to fit): a step inside
  // the window would otherwise pass for a slope.
  const sinceChange = head - s[m + M.excursionStart] + 1;
  const n =
    s[m + M.drift] !== DRIFT_NONE && sinceChange >= MIN_SINCE_CHANGE
      ? Math.min(rules.trendBuckets, sinceChange)
      : rules.trendBuckets;
  const bucketHours = rules.bucketMs / HOUR;
  for (let i = 0; i < n; i++) {
    const slot = (head - i) % RING_CAPACITY;
    scratch.xs[i] = -i * bucketHours;
    scratch.ys[i] = rx < 0 ? ring[r + slot] : loadNormalised(c, ring[r + slot], ring[rx + slot]);
  }
  const fit = linearFit(scratch.xs, scratch.ys, n);
  // A crossing beyond the horizon is no prediction anyone can plan with.
  const crossing = fit && forecastCrossing(fit, critical);
  const forecast = crossing && crossing.hours <= rules.trend.horizonDays * 24 ? crossing : null;
  s[m + M.trendSlope] = fit ? fit.slope : Number.NaN;
  s[m + M.trendSlopeErr] = fit ? fit.slopeStdErr : Number.NaN;
  s[m + M.predictedAt] = forecast ? at + forecast.hours * HOUR : Number.NaN;
  s[m + M.predictionHours] = forecast ? forecast.uncertaintyHours : Number.NaN;

  const rising =
    fit !== null &&
    forecast !== null &&
    fit.slope >= rules.trend.minT * fit.slopeStdErr &&
    s[m + M.ewmaZ] >= rules.trend.minZ;
  if (rising) {
    s[m + M.trendClearSince] = Number.NaN;
    if (s[m + M.trend] === 1) return false;
    s[m + M.trend] = 1;
    return true;
  }
  if (s[m + M.trend] === 0) return false;
  if (Number.isNaN(s[m + M.trendClearSince])) s[m + M.trendClearSince] = at;
  if (at - s[m + M.trendClearSince] < rules.drift.clearHours * HOUR) return false;
  s[m + M.trend] = 0;
  s[m + M.trendClearSince] = Number.NaN;
  return true;
}
