import { describe, expect, it } from 'vitest';
import { DeviceRateLimiter } from '../../ingest/rate-limit.js';

describe('per-device rate limit', () => {
  it('lets a second’s worth through at once, then spaces messages out per device', () => {
    let now = 1_000_000;
    const limiter = new DeviceRateLimiter(10, () => now);
    const delays = Array.from({ length: 12 }, () => limiter.delayFor('a'));
    expect(delays.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(delays.slice(10)).toEqual([100, 200]);
    expect(limiter.delayFor('b')).toBe(0); // devices do not share a bucket
    now += 1000;
    expect(limiter.delayFor('a')).toBe(0);
  });

  it('is off at 0', () => {
    const limiter = new DeviceRateLimiter(0, () => 0);
    expect(Array.from({ length: 1000 }, () => limiter.delayFor('a')).every((d) => d === 0)).toBe(true);
  });

  it('does not punish a device when the clock steps backwards', () => {
    let now = 10_000_000;
    const limiter = new DeviceRateLimiter(5, () => now);
    limiter.delayFor('a');
    now -= 3_600_000;
    expect(limiter.delayFor('a')).toBe(0);
    now += 1000;
    expect(limiter.delayFor('a')).toBe(0);
  });
});
