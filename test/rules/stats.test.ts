import { describe, expect, it } from 'vitest';
import {
  clamp,
  cusumDown,
  cusumUp,
  ewma,
  forecastCrossing,
  linearFit,
  MAD_TO_SIGMA,
  medianInPlace,
  robustBaseline,
  timeAlpha,
} from '../../rules/stats.js';
import { rng } from './synthetic.js';

describe('ewma and timeAlpha', () => {
  it('starts at the first value and moves a share alpha towards each next one', () => {
    expect(ewma(Number.NaN, 10, 0.2)).toBe(10);
    expect(ewma(10, 20, 0.2)).toBeCloseTo(12, 12);
  });

  it('weights a time step as 1 − e^(−dt/τ), also in its short-step series form', () => {
    for (const x of [0.001, 0.05, 0.099, 0.1, 0.5, 3]) {
      expect(timeAlpha(x * 1000, 1000)).toBeCloseTo(1 - Math.exp(-x), 6);
    }
    expect(timeAlpha(0, 1000)).toBe(0);
    expect(timeAlpha(-5, 1000)).toBe(0);
    expect(timeAlpha(Number.NaN, 1000)).toBe(0);
  });
});

describe('two-sided CUSUM', () => {
  it('stays at zero on in-control data and climbs by z − k per step after a shift', () => {
    let up = 0;
    for (const z of [0.3, -0.4, 0.5, -0.2]) up = cusumUp(up, z, 0.75, 100);
    expect(up).toBe(0);
    for (let i = 0; i < 4; i++) up = cusumUp(up, 2.75, 0.75, 100);
    expect(up).toBeCloseTo(8, 12);
  });

  it('is capped, and the lower side mirrors the upper one', () => {
    expect(cusumUp(7, 10, 0.5, 12)).toBe(12);
    expect(cusumDown(0, -3, 0.5, 12)).toBeCloseTo(2.5, 12);
    expect(cusumDown(0, 3, 0.5, 12)).toBe(0);
  });
});

describe('robustBaseline', () => {
  it('is the median and scaled MAD, unmoved by a few wild values and ignoring missing ones', () => {
    const random = rng(7);
    const values = Array.from({ length: 400 }, () => 5 + 0.2 * random.normal());
    values.push(500, -300, 1e6, Number.NaN, Number.NaN);
    const baseline = robustBaseline(values, 10, 0);
    expect(baseline?.level).toBeCloseTo(5, 1);
    expect(baseline?.spread).toBeGreaterThan(0.17);
    expect(baseline?.spread).toBeLessThan(0.23);
  });

  it('gives at least the floor, and nothing with too few values', () => {
    expect(robustBaseline([3, 3, 3, 3], 3, 0.5)?.spread).toBe(0.5);
    expect(robustBaseline([1, Number.NaN, 2], 3, 0)).toBeNull();
    expect(MAD_TO_SIGMA).toBeCloseTo(1.4826, 4);
  });
});

describe('linearFit and forecastCrossing', () => {
  it('recovers a known slope with a standard error that matches the noise', () => {
    const random = rng(3);
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const ys = xs.map((x) => 2 + 0.5 * x + 0.1 * random.normal());
    const fit = linearFit(xs, ys, xs.length);
    expect(fit?.slope).toBeCloseTo(0.5, 2);
    // σ / sqrt(Σ(x − x̄)²) = 0.1 / sqrt(10412.5) ≈ 0.00098
    expect(fit?.slopeStdErr).toBeGreaterThan(0.0006);
    expect(fit?.slopeStdErr).toBeLessThan(0.0014);
    expect(fit?.levelAtEnd).toBeCloseTo(2 + 0.5 * 49, 1);
  });

  it('skips missing points and refuses degenerate input', () => {
    const fit = linearFit([0, 1, 2, 3, 4], [1, Number.NaN, 3, Number.NaN, 5], 5);
    expect(fit?.slope).toBeCloseTo(1, 12);
    expect(fit?.count).toBe(3);
    expect(linearFit([1, 1, 1], [1, 2, 3], 3)).toBeNull();
    expect(linearFit([0, 1], [0, 1], 2)).toBeNull();
  });

  it('predicts when a rising line reaches a level, with a range that contains the truth', () => {
    const random = rng(11);
    const xs = Array.from({ length: 48 }, (_, i) => -47 + i);
    // Level 10 now, rising 0.25 per step: reaches 20 in 40 steps.
    const ys = xs.map((x) => 10 + 0.25 * x + 0.2 * random.normal());
    const forecast = forecastCrossing(linearFit(xs, ys, xs.length)!, 20);
    expect(forecast).not.toBeNull();
    expect(Math.abs((forecast?.hours ?? 0) - 40)).toBeLessThan(forecast?.uncertaintyHours ?? 0);
    expect(forecast?.uncertaintyHours).toBeLessThan(5);
  });

  it('predicts nothing for a flat or falling line, or a level already reached', () => {
    const flat = linearFit([0, 1, 2, 3], [5, 5.1, 4.9, 5], 4)!;
    expect(forecastCrossing(flat, 10)).toBeNull();
    const rising = linearFit([0, 1, 2, 3], [1, 2, 3, 4.01], 4)!;
    expect(forecastCrossing(rising, 3)).toBeNull();
  });
});

describe('small helpers', () => {
  it('medianInPlace handles odd, even and empty lengths', () => {
    expect(medianInPlace(Float64Array.of(5, 1, 3, 99), 3)).toBe(3);
    expect(medianInPlace(Float64Array.of(4, 1, 3, 2), 4)).toBe(2.5);
    expect(medianInPlace(new Float64Array(2), 0)).toBeNaN();
  });

  it('clamp limits symmetrically', () => {
    expect(clamp(7, 4)).toBe(4);
    expect(clamp(-7, 4)).toBe(-4);
    expect(clamp(1.5, 4)).toBe(1.5);
  });
});
