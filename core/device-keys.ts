/**
 * Dense numbers for device ids, one per id for the life of the process. The broker resolves a device's number
 * once, when its session starts, and readings carry it; per-device state further down (the rules engine's, for
 * 100,000 devices) is then found by array index instead of hashing the id on every reading, which is a cache
 * miss or three once the fleet outgrows the caches.
 */
export class DeviceKeys {
  readonly #keys = new Map<string, number>();

  /** The id's number: the same every time for the same id, never the same for two ids. */
  keyOf(id: string): number {
    let key = this.#keys.get(id);
    if (key === undefined) {
      key = this.#keys.size;
      this.#keys.set(id, key);
    }
    return key;
  }
}
