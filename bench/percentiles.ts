/**
 * Latencies are reported as two percentiles, the median and the 99th, in milliseconds. One definition of the pair
 * keeps a benchmark's columns and the cells of its rows under the same keys (`<key>P50`, `<key>P99`).
 */
import { type HistogramBuckets, histogramQuantile } from './prometheus.js';
import type { Column, Row } from './types.js';

/** The value in milliseconds at quantile q (0..1), or null without samples. */
export type QuantileMs = (q: number) => number | null;

const PERCENTILES = [
  { name: 'p50', q: 0.5 },
  { name: 'p99', q: 0.99 },
] as const;

const cellKey = (key: string, percentile: string) => `${key}${percentile.toUpperCase()}`;

/** The columns `<key>P50` and `<key>P99`, labelled "<label> p50 ms" and "<label> p99 ms". */
export function percentileColumns(key: string, label: string, digits: number): Column[] {
  return PERCENTILES.map(({ name }) => ({ key: cellKey(key, name), label: `${label} ${name} ms`, digits }));
}

/** The cells of `percentileColumns(key, …)`; both null when the latency was not measured. */
export function percentileCells(key: string, quantileMs: QuantileMs | null): Row {
  return Object.fromEntries(PERCENTILES.map(({ name, q }) => [cellKey(key, name), quantileMs?.(q) ?? null]));
}

/** The quantiles of a Prometheus histogram, which counts seconds; null without one. */
export function prometheusQuantilesMs(histogram: HistogramBuckets | null): QuantileMs | null {
  if (histogram === null) return null;
  return (q) => {
    const seconds = histogramQuantile(histogram, q);
    return seconds === null ? null : seconds * 1000;
  };
}
