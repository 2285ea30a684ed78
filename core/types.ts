/** One telemetry sample after validation: the unit the whole platform passes around. */
export interface Reading {
  /** Device id. */
  device: string;
  /**
   * The device's number in the platform's DeviceKeys, when the edge resolved it (MQTT sessions do): lets
   * per-device state be found without hashing the id. Every keyed reading a consumer sees comes from one table.
   */
  deviceKey?: number;
  /** Sample time, epoch milliseconds (UTC). */
  ts: number;
  /** Metric name → value; names match METRIC_NAME_PATTERN and values are finite. */
  metrics: Record<string, number>;
}

/** Readings committed together; the bus carries them on after the store has them. */
export interface ReadingBatch {
  readings: Reading[];
  /** Wall-clock time of the commit, epoch ms. */
  committedAt: number;
}

/** A registered device, without its credentials. */
export interface Device {
  id: string;
  model: string;
  lat: number | null;
  lon: number | null;
  customer: string | null;
  installedAt: string | null;
  createdAt: string;
  /** Last time the platform heard from it (telemetry or status), ISO-8601, or null. */
  lastSeenAt: string | null;
  online: boolean;
}

/** A message that ingest refused, kept for the dead-letter list. */
export interface IngestReject {
  at: string;
  device: string;
  reason: RejectReason;
  /** What was wrong, in words. */
  detail: string;
  /** The first bytes of the payload, for a person to look at. */
  excerpt: string;
}

export const REJECT_REASONS = [
  'not_json',
  'not_object',
  'bad_metric_value',
  'bad_metric_name',
  'bad_timestamp',
  'future_timestamp',
  'too_old',
  'payload_too_large',
  'too_many_readings',
  'no_metrics',
  /** Valid on the wire, refused by the configured store (e.g. a metric name InfluxDB reserves). */
  'unstorable',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];
