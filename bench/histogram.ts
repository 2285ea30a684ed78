/**
 * A log-bucketed latency histogram: constant memory however many samples, mergeable across processes and cheap
 * to send over IPC. Bucket i holds values in [GROWTH^(i-1), GROWTH^i) microseconds, so a percentile is exact to
 * within 2 %, which is finer than the run-to-run noise of any figure reported here.
 */

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** 1 µs … about 10 minutes. */
const BUCKETS = Math.ceil(Math.log(600e6) / LOG_GROWTH) + 2;

/** What crosses process boundaries: bucket index → count, only the non-empty ones. */
export interface HistogramJson {
  count: number;
  /** Largest value seen, microseconds. */
  maxUs: number;
  buckets: Array<[index: number, count: number]>;
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #maxUs = 0;

  get count(): number {
    return this.#count;
  }

  /** Records one value in milliseconds (fractions welcome). */
  recordMs(ms: number): void {
    this.recordUs(ms * 1000);
  }

  recordUs(us: number): void {
    const index = us < 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(us) / LOG_GROWTH) + 1);
    this.#counts[index]++;
    this.#count++;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  merge(other: Histogram | HistogramJson): void {
    const json = other instanceof Histogram ? other.toJSON() : other;
    for (const [index, count] of json.buckets) this.#counts[index] += count;
    this.#count += json.count;
    this.#maxUs = Math.max(this.#maxUs, json.maxUs);
  }

  /** The value at quantile q (0..1) in milliseconds, or null without samples; the bucket's geometric middle. */
  quantileMs(q: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i];
      if (seen >= rank) {
        const middleUs = i === 0 ? 0.5 : GROWTH ** (i - 0.5);
        return Math.min(middleUs, this.#maxUs) / 1000;
      }
    }
    return this.#maxUs / 1000;
  }

  toJSON(): HistogramJson {
    const buckets: Array<[number, number]> = [];
    this.#counts.forEach((count, index) => {
      if (count > 0) buckets.push([index, count]);
    });
    return { count: this.#count, maxUs: this.#maxUs, buckets };
  }

  static fromJSON(json: HistogramJson): Histogram {
    const histogram = new Histogram();
    histogram.merge(json);
    return histogram;
  }
}

/** The median of the numbers given, ignoring nulls; null when none are left. */
export function median(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (present.length === 0) return null;
  const middle = present.length >> 1;
  return present.length % 2 === 1 ? present[middle] : (present[middle - 1] + present[middle]) / 2;
}

/** The q-quantile (0..1) of a small sample by nearest rank; null when empty. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
