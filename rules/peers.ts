/**
 * Peer context: units of the same model in the same region share their latest standardised residual, and each
 * unit is judged against the median of the others. Weather that moves a whole region moves the median with it;
 * one unit drifting away from its peers does not move the median, which is why it is the median.
 */
import { medianInPlace } from './stats.js';

/** One peer group: a slot per member holding its latest residual and the bucket it belongs to. */
export class PeerGroup {
  #values = new Float64Array(8);
  #buckets = new Float64Array(8).fill(Number.NaN);
  #scratch = new Float64Array(8);
  #size = 0;

  /** Adds a member and returns its slot. */
  join(): number {
    if (this.#size === this.#values.length) {
      const grow = (old: Float64Array, fill: number) => {
        const next = new Float64Array(old.length * 2).fill(fill);
        next.set(old);
        return next;
      };
      this.#values = grow(this.#values, 0);
      this.#buckets = grow(this.#buckets, Number.NaN);
      this.#scratch = new Float64Array(this.#values.length);
    }
    return this.#size++;
  }

  /** Records a member's residual for a bucket. */
  publish(slot: number, bucket: number, z: number): void {
    this.#values[slot] = z;
    this.#buckets[slot] = bucket;
  }

  /**
   * Median residual of the other members that reported for this bucket or the one before (members report one
   * after another, so the previous bucket stands in for peers that have not closed this one yet); NaN when
   * fewer than `minPeers` did.
   */
  medianOfOthers(slot: number, bucket: number, minPeers: number): number {
    let n = 0;
    for (let i = 0; i < this.#size; i++) {
      if (i === slot || !(this.#buckets[i] >= bucket - 1)) continue;
      this.#scratch[n++] = this.#values[i];
    }
    return n < minPeers ? Number.NaN : medianInPlace(this.#scratch, n);
  }
}

/** The peer groups by key (model and region). */
export class PeerGroups {
  readonly #groups = new Map<string, PeerGroup>();

  group(key: string): PeerGroup {
    let group = this.#groups.get(key);
    if (!group) {
      group = new PeerGroup();
      this.#groups.set(key, group);
    }
    return group;
  }
}

/**
 * The peer key of a device: its model and region; without a region, a coarse latitude/longitude cell of
 * `gridDegrees`; without either, the model alone.
 */
export function peerKey(
  model: string,
  region: string | null | undefined,
  lat: number | null | undefined,
  lon: number | null | undefined,
  gridDegrees: number,
): string {
  if (region) return `${model}|${region}`;
  if (typeof lat === 'number' && typeof lon === 'number') {
    return `${model}|${Math.floor(lat / gridDegrees)}:${Math.floor(lon / gridDegrees)}`;
  }
  return `${model}|*`;
}
