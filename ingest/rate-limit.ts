/**
 * Per-device token bucket. Rather than dropping a device's messages (which could lose acknowledged data), ingest
 * asks how long to hold a message back; holding back its callback also stops aedes reading that device's socket.
 */
export class DeviceRateLimiter {
  readonly #buckets = new Map<string, { tokens: number; refilledAt: number }>();

  /** @param perSecond most messages per second per device; 0 turns the limit off. Bursts up to one second's worth. */
  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Takes one message's token; returns 0 to proceed now, else the ms to wait before proceeding. */
  delayFor(device: string): number {
    if (this.perSecond === 0) return 0;
    const now = this.clock();
    const bucket = this.#buckets.get(device) ?? { tokens: this.perSecond, refilledAt: now };
    // A clock stepped backwards (NTP) must not drain the bucket: elapsed time never counts as negative.
    const elapsedMs = Math.max(0, now - bucket.refilledAt);
    bucket.tokens = Math.min(this.perSecond, bucket.tokens + (elapsedMs / 1000) * this.perSecond);
    bucket.refilledAt = now;
    bucket.tokens -= 1;
    this.#buckets.set(device, bucket);
    return bucket.tokens >= 0 ? 0 : Math.ceil((-bucket.tokens / this.perSecond) * 1000);
  }

  forget(device: string): void {
    this.#buckets.delete(device);
  }
}
