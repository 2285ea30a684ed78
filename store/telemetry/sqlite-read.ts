import type { Aggregate, SeriesPoint } from './port.js';

/** A block of readings in time order with its metric columns already named (NaN = no value). */
export interface NamedBlock {
  ts: readonly number[];
  columns: ReadonlyArray<readonly [name: string, values: Float64Array]>;
}

/** Index of the first timestamp ≥ `from` in an ascending list. */
function lowerBound(ts: readonly number[], from: number): number {
  let low = 0;
  let high = ts.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ts[mid] < from) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The raw points in [from, to) of time-ordered, non-overlapping blocks, at most `limit`, earliest first.
 * A reading with none of the blocks' columns (none of the requested metrics) is no point.
 */
export function collectPoints(
  blocks: Iterable<NamedBlock>,
  from: number,
  to: number,
  limit: number,
): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  if (limit <= 0) return points;
  for (const { ts, columns } of blocks) {
    for (let i = lowerBound(ts, from); i < ts.length; i++) {
      if (ts[i] >= to) return points;
      let values: Record<string, number> | null = null;
      for (const [name, column] of columns) {
        const value = column[i];
        if (!Number.isNaN(value)) {
          values ??= {};
          values[name] = value;
        }
      }
      if (!values) continue;
      points.push({ ts: ts[i], values });
      if (points.length >= limit) return points;
    }
  }
  return points;
}

interface Accumulator {
  sum: number;
  count: number;
  min: number;
  max: number;
  last: number;
}

function fold(accumulator: Accumulator, aggregate: Aggregate): number {
  switch (aggregate) {
    case 'mean':
      return accumulator.sum / accumulator.count;
    case 'min':
      return accumulator.min;
    case 'max':
      return accumulator.max;
    case 'last':
      return accumulator.last;
  }
}

/**
 * Folds the readings in [from, to) into buckets of `stepMs` aligned to epoch multiples; a bucket's point
 * has the bucket start as its time and a value for each metric seen in it. Buckets without data are left
 * out; at most `limit` points, earliest first.
 */
export function downsample(
  blocks: Iterable<NamedBlock>,
  from: number,
  to: number,
  step: { ms: number; aggregate: Aggregate },
  limit: number,
): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  if (limit <= 0) return points;
  let bucket = Number.NaN;
  let accumulators = new Map<string, Accumulator>();
  const flush = () => {
    if (accumulators.size === 0) return;
    const values: Record<string, number> = {};
    for (const [name, accumulator] of accumulators) values[name] = fold(accumulator, step.aggregate);
    points.push({ ts: bucket, values });
    accumulators = new Map();
  };
  outer: for (const { ts, columns } of blocks) {
    for (let i = lowerBound(ts, from); i < ts.length; i++) {
      if (ts[i] >= to) break outer;
      const start = Math.floor(ts[i] / step.ms) * step.ms;
      if (start !== bucket) {
        flush();
        if (points.length >= limit) return points;
        bucket = start;
      }
      for (const [name, column] of columns) {
        const value = column[i];
        if (Number.isNaN(value)) continue;
        const accumulator = accumulators.get(name);
        if (accumulator) {
          accumulator.sum += value;
          accumulator.count++;
          if (value < accumulator.min) accumulator.min = value;
          if (value > accumulator.max) accumulator.max = value;
          accumulator.last = value;
        } else {
          accumulators.set(name, { sum: value, count: 1, min: value, max: value, last: value });
        }
      }
    }
  }
  if (points.length < limit) flush();
  return points;
}
