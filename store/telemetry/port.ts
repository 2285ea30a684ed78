import type { Reading } from '../../core/types.js';

/** How a downsampled query folds the readings of one step. */
export type Aggregate = 'mean' | 'min' | 'max' | 'last';

export interface RangeQuery {
  device: string;
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  /** Only these metrics; all when omitted. */
  metrics?: readonly string[];
  /** Most points returned (raw readings, or steps when downsampling), earliest first. */
  limit: number;
  /** Downsample into buckets of this many ms, aligned to epoch multiples of the step. */
  step?: { ms: number; aggregate: Aggregate };
}

/** A point in a query answer: a timestamp and the metrics known at it. Time order, ascending. */
export interface SeriesPoint {
  ts: number;
  values: Record<string, number>;
}

export interface WriteResult {
  /** Readings newly stored. */
  stored: number;
  /** Readings ignored because the store already had that device and timestamp. */
  duplicates: number;
}

/**
 * Where telemetry lives. Every backend (embedded SQLite, InfluxDB, later others) implements this and
 * passes the shared contract suite in test/store/telemetry-contract.ts.
 */
export interface TelemetryStore {
  /** Backend name for logs and metrics. */
  readonly kind: string;
  /** Creates files, databases and retention policies as needed; must be called before anything else. */
  open(): Promise<void>;
  /**
   * Durably stores a batch: when the promise resolves the readings survive a crash of this process.
   * A reading whose device and timestamp are already stored is ignored (redelivery is harmless).
   */
  write(readings: readonly Reading[]): Promise<WriteResult>;
  /** One device's readings (or downsampled steps) in [from, to), ascending. */
  query(query: RangeQuery): Promise<SeriesPoint[]>;
  /** The newest reading of every device that has one (or of the given devices). */
  latest(devices?: readonly string[]): Promise<Reading[]>;
  /** Deletes every reading older than `cutoff` (epoch ms); returns how many were removed where the backend can tell. */
  deleteBefore(cutoff: number): Promise<void>;
  /** Deletes all of one device's readings. */
  deleteDevice(device: string): Promise<void>;
  /** Bytes the store occupies on disk, where the backend can tell. */
  sizeOnDisk(): Promise<number | null>;
  close(): Promise<void>;
}
