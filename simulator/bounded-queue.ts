/**
 * A first-in first-out queue with a fixed capacity: when full, the oldest items go first. A device's
 * offline buffer is one, so a long outage costs the oldest readings rather than the device's memory.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  /** Items pushed out because the queue was full. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('a bounded queue needs a capacity of at least 1');
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
    this.trim();
  }

  /** Puts items back at the front, in their order (a batch whose sending failed). */
  unshift(items: readonly T[]): void {
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
    this.trim();
  }

  /** Removes and returns up to `max` items from the front. */
  take(max: number): T[] {
    const taken = this.items.slice(this.head, this.head + max);
    this.head += taken.length;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  private trim(): void {
    const excess = this.length - this.capacity;
    if (excess > 0) {
      this.head += excess;
      this.dropped += excess;
    }
  }
}
