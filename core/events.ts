import type { Device, IngestReject, ReadingBatch } from './types.js';

/** Every event that crosses module boundaries, with its arguments. */
export interface EventMap {
  /** Readings are durably stored. */
  readingsStored: [batch: ReadingBatch];
  /** Ingest refused a message or part of one. */
  readingRejected: [reject: IngestReject];
  /** A device connected, disconnected or published its status. */
  deviceAvailability: [change: { device: string; online: boolean; at: number }];
  deviceRegistered: [device: Device];
  deviceRemoved: [deviceId: string];
}
