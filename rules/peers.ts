/**
 * Peer context: units of the same model in the same region share their latest standardised residual, and each
 * unit is judged against the median of the others. Weather that moves a whole region moves the median with it;
 * one unit drifting away from its peers does not move the median, which is why it is the median.
 *
 * A region can hold thousands of units of one model, and each of them asks for the median once per bucket: an
 * exact median of the others for every question would cost the group O(n² log n) per bucket. Up to
 * EXACT_MEMBERS members it is exact; a larger group answers from a median of all its members that it refreshes
 * after every 1/REFRESHES_PER_ROUND of its members has published, which leaving one unit out cannot move by more
 * than one rank in thousands, and costs the group O(n log n) per bucket.
 */
import { medianInPlace } from './stats.js';

/** Groups up to this size answer each question exactly. */
export const EXACT_MEMBERS = 64;
/** How many times a large group refreshes its shared median while all of its members publish once. */
const REFRESHES_PER_ROUND = 16;

/** One peer group: a slot per member holding its latest residual and the bucket it belongs to. */
export class PeerGroup {
  #values = new Float64Array(8);
  #buckets = new Float64Array(8).fill(Number.NaN);
  #scratch = new Float64Array(8);
  #size = 0;
  /** A large group's shared answer: the median of the members current for `#sharedBucket`, and their count. */
  #shared = Number.NaN;
  #sharedCount = 0;
  #sharedBucket = Number.NEGATIVE_INFINITY;
  #publishedSinceShared = 0;

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
    this.#publishedSinceShared++;
  }

  /**
   * Median residual of the other members that reported for this bucket or the one before (members report one
   * after another, so the previous bucket stands in for peers that have not closed this one yet); NaN when
   * fewer than `minPeers` did. In a group larger than EXACT_MEMBERS, the median of all current members.
   */
  medianOfOthers(slot: number, bucket: number, minPeers: number): number {
    if (this.#size <= EXACT_MEMBERS || bucket < this.#sharedBucket) {
      const n = this.#gather(slot, bucket);
      return n < minPeers ? Number.NaN : medianInPlace(this.#scratch, n);
    }
    if (bucket > this.#sharedBucket || this.#publishedSinceShared * REFRESHES_PER_ROUND >= this.#size) {
      this.#sharedCount = this.#gather(-1, bucket);
      this.#shared = medianInPlace(this.#scratch, this.#sharedCount);
      this.#sharedBucket = bucket;
      this.#publishedSinceShared = 0;
    }
    const others = this.#sharedCount - (this.#buckets[slot] >= bucket - 1 ? 1 : 0);
    return others < minPeers ? Number.NaN : this.#shared;
  }

  /** Copies the residuals of the members current for `bucket`, except `slot`, into the scratch; returns how many. */
  #gather(slot: number, bucket: number): number {
    let n = 0;
    for (let i = 0; i < this.#size; i++) {
      if (i === slot || !(this.#buckets[i] >= bucket - 1)) continue;
      this.#scratch[n++] = this.#values[i];
    }
    return n;
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
