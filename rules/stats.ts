/**
 * The statistics behind the detectors, as pure functions over plain numbers and typed arrays, so each can be
 * checked on its own. None of them allocates on the per-reading path.
 */
import { median, medianAbsoluteDeviation } from 'simple-statistics';

/** MAD × 1.4826 estimates the standard deviation of normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;
/** Mean absolute deviation × √(π/2) estimates the standard deviation of normally distributed data. */
export const MEAN_ABS_TO_SIGMA = Math.sqrt(Math.PI / 2);

/** One step of an exponentially weighted moving average. */
export function ewma(previous: number, value: number, alpha: number): number {
  return Number.isNaN(previous) ? value : previous + alpha * (value - previous);
}

/** The EWMA weight for a time step `dtMs` when the average should forget with time constant `tauMs`: 1 − e^(−dt/τ). */
export function timeAlpha(dtMs: number, tauMs: number): number {
  if (!(dtMs > 0)) return 0;
  const x = dtMs / tauMs;
  // Readings usually come far more often than the time constant: there a short series is exact to x⁵/120 < 1e-7.
  return x < 0.1 ? x * (1 - x * (1 / 2 - x * (1 / 6 - x / 24))) : 1 - Math.exp(-x);
}

/**
 * One step of the upper CUSUM, S⁺ = max(0, S⁺ + z − k) (Page 1954), capped so that it comes back down
 * within a few steps once the process is normal again.
 */
export function cusumUp(previous: number, z: number, k: number, cap: number): number {
  return Math.min(cap, Math.max(0, previous + z - k));
}

/** One step of the lower CUSUM, S⁻ = max(0, S⁻ − z − k); the mirror image of `cusumUp`. */
export function cusumDown(previous: number, z: number, k: number, cap: number): number {
  return cusumUp(previous, -z, k, cap);
}

export interface RobustBaseline {
  /** Median of the values. */
  level: number;
  /** MAD scaled to a standard deviation, never below the floor it was given. */
  spread: number;
}

/** Median and scaled MAD of the finite values in `values` (NaN marks a missing slot), or null when too few. */
export function robustBaseline(
  values: ArrayLike<number>,
  minCount: number,
  minSpread: number,
): RobustBaseline | null {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  if (finite.length < minCount || finite.length === 0) return null;
  return {
    level: median(finite),
    spread: Math.max(MAD_TO_SIGMA * medianAbsoluteDeviation(finite), minSpread),
  };
}

export interface LinearFit {
  /** Change of y per unit of x. */
  slope: number;
  /** Standard error of the slope. */
  slopeStdErr: number;
  /** Fitted y at the last x. */
  levelAtEnd: number;
  /** Points used. */
  count: number;
}

/**
 * Least-squares line through the finite points of `ys` against `xs` (same length, NaN y = missing), with the
 * slope's standard error. Needs at least three points and some spread in x.
 */
export function linearFit(xs: ArrayLike<number>, ys: ArrayLike<number>, length: number): LinearFit | null {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let lastX = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    n++;
    sx += xs[i];
    sy += y;
    if (xs[i] > lastX) lastX = xs[i];
  }
  if (n < 3) return null;
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    const dx = xs[i] - mx;
    sxx += dx * dx;
    sxy += dx * (y - my);
  }
  if (sxx <= 0) return null;
  const slope = sxy / sxx;
  let sse = 0;
  for (let i = 0; i < length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    const e = y - (my + slope * (xs[i] - mx));
    sse += e * e;
  }
  return {
    slope,
    slopeStdErr: Math.sqrt(sse / (n - 2) / sxx),
    levelAtEnd: my + slope * (lastX - mx),
    count: n,
  };
}

export interface CrossingForecast {
  /** Hours from the end of the fit until the line reaches the level. */
  hours: number;
  /** Half-width of the range the crossing falls in when the slope is off by two standard errors, hours. */
  uncertaintyHours: number;
}

/**
 * When a rising fit reaches `level`, from the fit's last point, with a ±2 standard error range. Null when the
 * fit does not rise significantly (slope below two standard errors) or the level is already reached.
 */
export function forecastCrossing(fit: LinearFit, level: number): CrossingForecast | null {
  const remaining = level - fit.levelAtEnd;
  if (fit.slope <= 0 || remaining <= 0) return null;
  const low = fit.slope - 2 * fit.slopeStdErr;
  if (low <= 0) return null;
  const hours = remaining / fit.slope;
  const earliest = remaining / (fit.slope + 2 * fit.slopeStdErr);
  const latest = remaining / low;
  return { hours, uncertaintyHours: (latest - earliest) / 2 };
}

/** Median of the first `length` entries of `scratch`, reordering them (numeric sort of a typed array). */
export function medianInPlace(scratch: Float64Array, length: number): number {
  if (length === 0) return Number.NaN;
  const part = scratch.subarray(0, length).sort();
  const mid = length >> 1;
  return length % 2 === 1 ? part[mid] : (part[mid - 1] + part[mid]) / 2;
}

/** Limits `value` to [−limit, limit]. */
export function clamp(value: number, limit: number): number {
  return Math.min(limit, Math.max(-limit, value));
}
