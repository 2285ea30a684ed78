import type { Device } from '../core/types.js';

/** A device as stored, with the hash of its MQTT token. */
export interface StoredDevice extends Omit<Device, 'online'> {
  tokenHash: string;
}

/** The device registry's persistence. SQLite by default; a later backend (PostgreSQL) implements the same port. */
export interface DeviceStore {
  open(): Promise<void>;
  /** Adds devices that do not exist yet; returns the ids that already existed (and were left alone). */
  insert(devices: readonly StoredDevice[]): Promise<Set<string>>;
  all(): Promise<StoredDevice[]>;
  /** Returns false when there was no such device. */
  remove(id: string): Promise<boolean>;
  setTokenHash(id: string, tokenHash: string): Promise<boolean>;
  /** Persists last-seen times (batched by the registry, not per reading). */
  recordSeen(seen: ReadonlyMap<string, string>): Promise<void>;
  adminTokenHashes(): Promise<string[]>;
  addAdminTokenHash(hash: string): Promise<void>;
  close(): Promise<void>;
}
