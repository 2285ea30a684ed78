/**
 * Drift and step detection on the standardised residual from the baseline: an EWMA and a two-sided CUSUM.
 * The upper CUSUM crossing its decision interval raises a drift, or a step when it got there within a short
 * time with a large mean residual. The drift clears once the EWMA stays low for a while, or at once when the
 * lower CUSUM crosses its decision interval: the level has dropped clearly below its old baseline (new parts).
 */

import { M, type MetricCursor } from '../state.js';
import { clamp, cusumDown, cusumUp, ewma } from '../stats.js';

const HOUR = 3_600_000;
/** How far above h the CUSUMs may climb; bounded so that they return within a few buckets after a repair. */
const CUSUM_CAP_FACTOR = 2;

export const DRIFT_NONE = 0;
export const DRIFT = 1;
export const STEP = 2;

/** Feeds one bucket's standardised residual; returns true when the drift state changed. */
export function updateDrift(c: MetricCursor, bucket: number, z: number, at: number): boolean {
  const { s, m, rules } = c;
  const { k, h } = rules.cusum;
  const zc = clamp(z, rules.zClip);
  s[m + M.lastZ] = z;
  s[m + M.ewmaZ] = ewma(s[m + M.ewmaZ], zc, rules.ewmaLambda);
  const before = s[m + M.cusumUp];
  const up = cusumUp(before, zc, k, CUSUM_CAP_FACTOR * h);
  if (before === 0 && up > 0) {
    s[m + M.excursionStart] = bucket;
    s[m + M.excursionSumZ] = 0;
  }
  s[m + M.excursionSumZ] = up > 0 ? s[m + M.excursionSumZ] + zc : 0;
  s[m + M.cusumUp] = up;
  s[m + M.cusumDown] = cusumDown(s[m + M.cusumDown], zc, k, CUSUM_CAP_FACTOR * h);

  const state = s[m + M.drift];
  if (state === DRIFT_NONE) {
    if (up < h) return false;
    const buckets = bucket - s[m + M.excursionStart] + 1;
    const fast = buckets * rules.bucketMs <= rules.step.maxHours * HOUR;
    s[m + M.drift] = fast && s[m + M.excursionSumZ] / buckets >= rules.step.minZ ? STEP : DRIFT;
    s[m + M.driftClearSince] = Number.NaN;
    // From here the lower CUSUM counts evidence of a repair only.
    s[m + M.cusumDown] = 0;
    return true;
  }
  const repaired = s[m + M.cusumDown] >= h;
  if (!repaired && (s[m + M.ewmaZ] >= rules.drift.clearZ || up >= h)) {
    s[m + M.driftClearSince] = Number.NaN;
    return false;
  }
  if (Number.isNaN(s[m + M.driftClearSince])) s[m + M.driftClearSince] = at;
  if (!repaired && at - s[m + M.driftClearSince] < rules.drift.clearHours * HOUR) return false;
  s[m + M.drift] = DRIFT_NONE;
  s[m + M.driftClearSince] = Number.NaN;
  return true;
}
