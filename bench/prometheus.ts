/**
 * Reads the server's /metrics (Prometheus text format 0.0.4): counters summed over their labels, and histograms,
 * whose difference between two scrapes gives the latency of one benchmark phase alone.
 */

export interface HistogramBuckets {
  /** Upper bounds (seconds, as the metric has them) and cumulative counts, ascending; the last bound is +Inf. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

export class MetricsSnapshot {
  /** Sample name (with `_bucket`/`_sum`/`_count` suffixes) → label text → value. */
  readonly #samples = new Map<string, Map<string, number>>();

  constructor(text: string) {
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/);
      if (!match) continue;
      const [, name, labels = '', value] = match;
      const series = this.#samples.get(name) ?? new Map<string, number>();
      series.set(labels, Number(value));
      this.#samples.set(name, series);
    }
  }

  has(name: string): boolean {
    return this.#samples.has(name) || this.#samples.has(`${name}_count`);
  }

  /** A counter or gauge summed over every label set; 0 when absent. */
  sum(name: string): number {
    let total = 0;
    for (const value of this.#samples.get(name)?.values() ?? []) total += value;
    return total;
  }

  /** A histogram summed over labels other than `le`, or null when the server does not expose it. */
  histogram(name: string): HistogramBuckets | null {
    const bucketSeries = this.#samples.get(`${name}_bucket`);
    if (!bucketSeries) return null;
    const byBound = new Map<number, number>();
    for (const [labels, value] of bucketSeries) {
      const le = labels.match(/le="([^"]+)"/)?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + value);
    }
    const buckets = [...byBound].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
    return { buckets, count: this.sum(`${name}_count`), sum: this.sum(`${name}_sum`) };
  }
}

/** What a histogram gained between two scrapes. */
export function histogramDelta(before: HistogramBuckets | null, after: HistogramBuckets): HistogramBuckets {
  const earlier = new Map(before?.buckets.map((b) => [b.le, b.count]) ?? []);
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) })),
    count: after.count - (before?.count ?? 0),
    sum: after.sum - (before?.sum ?? 0),
  };
}

/**
 * The q-quantile by linear interpolation within the bucket that holds it, as Prometheus' histogram_quantile does;
 * null without observations. A quantile in the +Inf bucket is reported as the largest finite bound.
 */
export function histogramQuantile(histogram: HistogramBuckets, q: number): number | null {
  const total = histogram.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of histogram.buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      const inBucket = count - below;
      return inBucket > 0 ? lower + ((le - lower) * (rank - below)) / inBucket : le;
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** The histogram without its `n` largest observations (known outliers, e.g. readings sent with old timestamps). */
export function withoutLargest(histogram: HistogramBuckets, n: number): HistogramBuckets {
  const total = histogram.buckets.at(-1)?.count ?? 0;
  const kept = Math.max(0, total - n);
  return {
    buckets: histogram.buckets.map(({ le, count }) => ({ le, count: Math.min(count, kept) })),
    count: kept,
    sum: histogram.sum,
  };
}
