import type { Reading } from '../../core/types.js';

/** How a downsampled query folds the readings of one step. */
export type Aggregate = 'mean' | 'min' | 'max' | 'last';

export interface RangeQuery {
  device: string;
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  /** Only these metrics; all when omitted. A reading with none of them yields no point; `[]` yields nothing. */
  metrics?: readonly string[];
  /** Most points returned (raw readings, or steps when downsampling), earliest first. */
  limit: number;
  /**
   * Downsample into buckets of this many ms (a whole number), aligned to epoch multiples of the step: a
   * bucket's point has the bucket start as `ts` (which may lie before `from`) and one value per metric seen
   * in it; buckets without data are left out.
   */
  step?: { ms: number; aggregate: Aggregate };
}

/** A point in a query answer: a timestamp and the metrics known at it. Time order, ascending. */
export interface SeriesPoint {
  ts: number;
  values: Record<string, number>;
}

export interface WriteResult {
  /** Readings newly stored (where the backend cannot tell, also readings that repeat stored ones). */
  stored: number;
  /**
   * Readings ignored because the store already had that device and timestamp. Repeats within the batch are
   * always counted; repeats of earlier batches only where the backend can tell (SQLite can, InfluxDB cannot:
   * there they count as stored, and the server overwrites the point with the same values).
   */
  duplicates: number;
}

/**
 * Where telemetry lives. Every backend (embedded SQLite, InfluxDB, later others) implements this and
 * passes the shared contract suite in test/store/telemetry-contract.ts.
 *
 * Failures reject with a TelemetryStoreError (store/telemetry/errors.ts) whose `retryable` says whether
 * the same call may succeed later (store down, busy, out of space) or will fail again (bad data, bad
 * query, store not open); `isRetryable(error)` reads it for any error.
 */
export interface TelemetryStore {
  /** Backend name for logs and metrics. */
  readonly kind: string;
  /**
   * How many writes are worth having in flight at once: 1 for an embedded store (one writer), more for a server
   * whose writes each wait for a round trip. Ingest overlaps up to this many commits, acknowledging them in order.
   */
  readonly writeConcurrency: number;
  /** Creates files, databases and retention policies as needed; must be called before anything else. */
  open(): Promise<void>;
  /**
   * Durably stores a batch: when the promise resolves the readings survive a crash of this process.
   * A reading whose device and timestamp are already stored is ignored (redelivery is harmless); within a
   * batch the first of two such readings is kept. Values come back exactly as written (InfluxDB turns -0
   * into 0). Readings already older than the retention period may be left out by the backend (InfluxDB
   * refuses them); they count as neither stored nor duplicate. A batch with an invalid reading (see
   * assertStorable in errors.ts) is refused whole.
   */
  write(readings: readonly Reading[]): Promise<WriteResult>;
  /** One device's readings (or downsampled steps) in [from, to), ascending. */
  query(query: RangeQuery): Promise<SeriesPoint[]>;
  /** The newest reading of every device that has one (or of the given devices), in device order. */
  latest(devices?: readonly string[]): Promise<Reading[]>;
  /**
   * Deletes every reading older than `cutoff` (epoch ms). Both backends also apply their retention period
   * by themselves (SQLite when it opens and hourly; InfluxDB through its retention policy).
   */
  deleteBefore(cutoff: number): Promise<void>;
  /** Deletes all of one device's readings. */
  deleteDevice(device: string): Promise<void>;
  /** Bytes the store occupies on disk, where the backend can tell. */
  sizeOnDisk(): Promise<number | null>;
  /** Stops background work and releases files and connections; the data stays. */
  close(): Promise<void>;
}
