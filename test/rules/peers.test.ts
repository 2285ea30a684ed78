import { describe, expect, it } from 'vitest';
import { EXACT_MEMBERS, PeerGroup } from '../../rules/peers.js';
import { medianInPlace } from '../../rules/stats.js';

function exactMedianOfOthers(values: number[], slot: number): number {
  const others = Float64Array.from(values.filter((_, i) => i !== slot));
  return medianInPlace(others, others.length);
}

function groupOf(values: number[], bucket: number): PeerGroup {
  const group = new PeerGroup();
  for (const value of values) group.publish(group.join(), bucket, value);
  return group;
}

describe('PeerGroup.medianOfOthers', () => {
  it('is exact in a group of up to EXACT_MEMBERS, leaving the asking member out', () => {
    const values = Array.from({ length: EXACT_MEMBERS }, (_, i) => (i * 37) % 11);
    const group = groupOf(values, 5);
    for (const slot of [0, 3, EXACT_MEMBERS - 1]) {
      expect(group.medianOfOthers(slot, 5, 3)).toBe(exactMedianOfOthers(values, slot));
    }
  });

  it('counts members of this bucket and the one before, and needs minPeers of them', () => {
    const group = new PeerGroup();
    const slots = [group.join(), group.join(), group.join(), group.join()];
    group.publish(slots[0], 10, 1);
    group.publish(slots[1], 9, 2);
    group.publish(slots[2], 8, 100); // two buckets old: not counted
    group.publish(slots[3], 10, 3);
    expect(group.medianOfOthers(slots[0], 10, 2)).toBe(2.5);
    expect(group.medianOfOthers(slots[0], 10, 3)).toBeNaN();
  });

  it('in a large group answers within one rank of the exact median of the others', () => {
    const size = 2000;
    const values = Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898) * 3);
    const group = groupOf(values, 40);
    const sorted = [...values].sort((a, b) => a - b);
    const rank = (value: number) => sorted.findIndex((v) => v >= value);
    for (const slot of [0, 500, 1999]) {
      const answer = group.medianOfOthers(slot, 40, 5);
      expect(Math.abs(rank(answer) - rank(exactMedianOfOthers(values, slot)))).toBeLessThanOrEqual(1);
    }
  });

  it('in a large group follows members as they publish for a new bucket', () => {
    const size = 1000;
    const group = groupOf(
      Array.from({ length: size }, () => 0),
      1,
    );
    expect(group.medianOfOthers(0, 1, 5)).toBe(0);
    // The whole region moves by +2 in bucket 2 (weather): the answer moves with it once they have published.
    for (let slot = 0; slot < size; slot++) group.publish(slot, 2, 2);
    expect(group.medianOfOthers(0, 2, 5)).toBe(2);
    // A bucket older than the shared answer is still answered, exactly.
    expect(group.medianOfOthers(0, 1, 5)).toBe(2);
  });

  it('in a large group refreshes its answer while members publish within one bucket', () => {
    const size = 1000;
    const group = groupOf(
      Array.from({ length: size }, () => 0),
      3,
    );
    expect(group.medianOfOthers(0, 3, 5)).toBe(0);
    for (let slot = 0; slot < size; slot++) {
      group.publish(slot, 3, 5);
      group.medianOfOthers(slot, 3, 5);
    }
    expect(group.medianOfOthers(0, 3, 5)).toBe(5);
  });
});
