/**
 * The behaviour every telemetry backend owes the rest of the platform, written once as a function of a
 * factory and run against each backend (test/store/sqlite.test.ts, test/store/influx.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../core/types.js';
import { isRetryable } from '../../store/telemetry/errors.js';
import type { RangeQuery, TelemetryStore } from '../../store/telemetry/port.js';

/** A freshly opened, empty store and how to dispose of it. */
export interface StoreUnderTest {
  store: TelemetryStore;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Whether WriteResult.duplicates also counts readings stored by an earlier write (InfluxDB cannot tell). */
  countsEarlierDuplicates: boolean;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Midnight two days ago: inside any retention period, and whole minutes and hours for bucket arithmetic. */
const BASE = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;

function reading(device: string, ts: number, metrics: Record<string, number>): Reading {
  return { device, ts, metrics };
}

/** A reproducible shuffle (xorshift), so that a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = (state >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** What a raw query should answer for these readings, in time order. */
function expectedPoints(readings: readonly Reading[]) {
  return [...readings].sort((a, b) => a.ts - b.ts).map(({ ts, metrics }) => ({ ts, values: metrics }));
}

export function telemetryStoreContract(
  name: string,
  factory: () => Promise<StoreUnderTest>,
  options: ContractOptions,
): void {
  describe(`${name} telemetry store contract`, () => {
    let subject: StoreUnderTest;
    let store: TelemetryStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    /** Everything stored for a device, raw. */
    const everything = (device: string, extra: Partial<RangeQuery> = {}) =>
      store.query({ device, from: BASE - 30 * DAY, to: BASE + 30 * DAY, limit: 100_000, ...extra });

    // -0 is not among them: InfluxDB's line protocol carries it as 0 (the SQLite store keeps it).
    it('reads back exactly the numbers that were written, awkward ones included', async () => {
      const awkward = reading('dev-exact', BASE, {
        negative: -12.345,
        zero: 0,
        tiny: 1e-7,
        large: 123456.789,
        needs_float: 0.1 + 0.2,
        third: 1 / 3,
        negative_tiny: -2.5e-9,
        max_safe: Number.MAX_SAFE_INTEGER,
        huge: 1.5e300,
      });
      // A run whose decimals, signs and magnitudes change from reading to reading.
      const run = Array.from({ length: 120 }, (_, i) =>
        reading('dev-exact', BASE + (i + 1) * 10 * SECOND, {
          vibration_rms: Math.round(((i * 7919) % 2000) - 1000) / 1000,
          temperature_c: i % 17 === 0 ? 0.1 + 0.2 * i : Math.round(i * 1234.5) / 100,
          current_a: i % 2 === 0 ? i : -i / 8,
        }),
      );
      const result = await store.write([awkward, ...run]);
      expect(result).toEqual({ stored: 121, duplicates: 0 });
      expect(await everything('dev-exact')).toEqual(expectedPoints([awkward, ...run]));
    });

    it('takes as many writes at once as it says, each of them stored whole', async () => {
      expect(Number.isInteger(store.writeConcurrency) && store.writeConcurrency >= 1).toBe(true);
      const batches = Array.from({ length: store.writeConcurrency }, (_, b) =>
        Array.from({ length: 50 }, (_, i) =>
          reading(`dev-overlap-${b}`, BASE + i * SECOND, { v: b * 100 + i }),
        ),
      );
      const results = await Promise.all(batches.map((batch) => store.write(batch)));
      expect(results).toEqual(batches.map(() => ({ stored: 50, duplicates: 0 })));
      for (const [b, batch] of batches.entries()) {
        expect(await everything(`dev-overlap-${b}`)).toEqual(expectedPoints(batch));
      }
    });

    it('keeps each reading to the metrics it carried', async () => {
      const readings = [
        reading('dev-sparse', BASE, { a: 1.5 }),
        reading('dev-sparse', BASE + SECOND, { b: -2 }),
        reading('dev-sparse', BASE + 2 * SECOND, { a: 3, b: 4.25, c: 0.001 }),
        reading('dev-sparse', BASE + 3 * SECOND, { c: 7 }),
      ];
      await store.write(readings);
      expect(await everything('dev-sparse')).toEqual(expectedPoints(readings));
    });

    it('returns only the requested metrics and leaves out readings that have none of them', async () => {
      await store.write([
        reading('dev-filter', BASE, { a: 1, b: 2, c: 3 }),
        reading('dev-filter', BASE + SECOND, { b: 5 }),
        reading('dev-filter', BASE + 2 * SECOND, { a: 6, c: 7 }),
      ]);
      expect(await everything('dev-filter', { metrics: ['a', 'c'] })).toEqual([
        { ts: BASE, values: { a: 1, c: 3 } },
        { ts: BASE + 2 * SECOND, values: { a: 6, c: 7 } },
      ]);
      expect(await everything('dev-filter', { metrics: ['b'] })).toEqual([
        { ts: BASE, values: { b: 2 } },
        { ts: BASE + SECOND, values: { b: 5 } },
      ]);
      expect(await everything('dev-filter', { metrics: ['not_there'] })).toEqual([]);
      expect(await everything('dev-filter', { metrics: [] })).toEqual([]);
    });

    it('answers the half-open range [from, to)', async () => {
      const readings = Array.from({ length: 10 }, (_, k) =>
        reading('dev-range', BASE + k * 10 * SECOND, { v: k }),
      );
      await store.write(readings);
      const inRange = await store.query({
        device: 'dev-range',
        from: BASE + 20 * SECOND,
        to: BASE + 50 * SECOND,
        limit: 100,
      });
      expect(inRange.map((point) => point.values.v)).toEqual([2, 3, 4]);
      expect(await store.query({ device: 'dev-range', from: BASE, to: BASE, limit: 100 })).toEqual([]);
      expect(await store.query({ device: 'dev-other', from: BASE, to: BASE + DAY, limit: 100 })).toEqual([]);
    });

    it('returns at most `limit` points, the earliest ones', async () => {
      const readings = Array.from({ length: 50 }, (_, k) =>
        reading('dev-limit', BASE + k * MINUTE, { v: k }),
      );
      await store.write(shuffled(readings, 7));
      const first = await everything('dev-limit', { limit: 3 });
      expect(first).toEqual(expectedPoints(readings.slice(0, 3)));
      expect(await everything('dev-limit', { limit: 0 })).toEqual([]);
    });

    it('answers in time order whatever order the readings arrived in', async () => {
      // Twelve hours every seven minutes, arriving shuffled over several writes: late readings land in
      // windows a backend may already have compacted.
      const readings = Array.from({ length: 103 }, (_, k) =>
        reading('dev-order', BASE + k * 7 * MINUTE, { v: k / 10, w: 50 - k }),
      );
      const arrivals = shuffled(readings, 42);
      for (let start = 0; start < arrivals.length; start += 20) {
        expect(await store.write(arrivals.slice(start, start + 20))).toEqual({
          stored: Math.min(20, arrivals.length - start),
          duplicates: 0,
        });
      }
      expect(await everything('dev-order')).toEqual(expectedPoints(readings));
    });

    it('stores a reading repeated within one batch once', async () => {
      const first = reading('dev-dup', BASE, { v: 1.25 });
      const second = reading('dev-dup', BASE + SECOND, { v: 2.5 });
      const result = await store.write([first, second, { ...first, metrics: { ...first.metrics } }]);
      expect(result).toEqual({ stored: 2, duplicates: 1 });
      expect(await everything('dev-dup')).toEqual(expectedPoints([first, second]));
    });

    it('stores a reading repeated by a later batch once', async () => {
      // Six hours at one-minute intervals, so that part of it may be compacted before it is sent again.
      const batch = Array.from({ length: 360 }, (_, k) =>
        reading('dev-redeliver', BASE + k * MINUTE, { v: k * 0.5 }),
      );
      await store.write(batch);
      const extra = reading('dev-redeliver', BASE + 360 * MINUTE, { v: -1 });
      const again = await store.write([...shuffled(batch, 3), extra]);
      if (options.countsEarlierDuplicates) expect(again).toEqual({ stored: 1, duplicates: 360 });
      else expect(again).toEqual({ stored: 361, duplicates: 0 });
      expect(await everything('dev-redeliver')).toEqual(expectedPoints([...batch, extra]));
    });

    describe('downsampling', () => {
      // Minute 0: v = 1…6 every 10 s; minute 1: nothing; minute 2: v = 10, 20 and w = 4 once.
      const readings = [
        ...[1, 2, 3, 4, 5, 6].map((v, k) => reading('dev-down', BASE + k * 10 * SECOND, { v })),
        reading('dev-down', BASE + 2 * MINUTE, { v: 10 }),
        reading('dev-down', BASE + 2 * MINUTE + 10 * SECOND, { v: 20, w: 4 }),
      ];
      const byMinute = (extra: Partial<RangeQuery> & Pick<RangeQuery, 'step'>) =>
        store.query({ device: 'dev-down', from: BASE, to: BASE + 3 * MINUTE, limit: 100, ...extra });

      beforeEach(async () => {
        await store.write(shuffled(readings, 11));
      });

      it('folds each epoch-aligned step with mean, min, max and last, leaving out empty steps', async () => {
        expect(await byMinute({ step: { ms: MINUTE, aggregate: 'mean' } })).toEqual([
          { ts: BASE, values: { v: 3.5 } },
          { ts: BASE + 2 * MINUTE, values: { v: 15, w: 4 } },
        ]);
        expect(await byMinute({ step: { ms: MINUTE, aggregate: 'min' } })).toEqual([
          { ts: BASE, values: { v: 1 } },
          { ts: BASE + 2 * MINUTE, values: { v: 10, w: 4 } },
        ]);
        expect(await byMinute({ step: { ms: MINUTE, aggregate: 'max' } })).toEqual([
          { ts: BASE, values: { v: 6 } },
          { ts: BASE + 2 * MINUTE, values: { v: 20, w: 4 } },
        ]);
        expect(await byMinute({ step: { ms: MINUTE, aggregate: 'last' } })).toEqual([
          { ts: BASE, values: { v: 6 } },
          { ts: BASE + 2 * MINUTE, values: { v: 20, w: 4 } },
        ]);
      });

      it('aligns steps to the epoch, not to `from`', async () => {
        const points = await byMinute({ from: BASE + 30 * SECOND, step: { ms: MINUTE, aggregate: 'mean' } });
        expect(points).toEqual([
          { ts: BASE, values: { v: 5 } },
          { ts: BASE + 2 * MINUTE, values: { v: 15, w: 4 } },
        ]);
        const halves = await byMinute({ step: { ms: 30 * SECOND, aggregate: 'max' } });
        expect(halves.map((point) => point.ts)).toEqual([BASE, BASE + 30 * SECOND, BASE + 2 * MINUTE]);
      });

      it('limits the number of steps and honours the metrics filter', async () => {
        expect(await byMinute({ limit: 1, step: { ms: MINUTE, aggregate: 'max' } })).toEqual([
          { ts: BASE, values: { v: 6 } },
        ]);
        expect(await byMinute({ metrics: ['w'], step: { ms: MINUTE, aggregate: 'mean' } })).toEqual([
          { ts: BASE + 2 * MINUTE, values: { w: 4 } },
        ]);
      });
    });

    it('reports the newest reading of every device, or of the ones asked for', async () => {
      await store.write([
        reading('dev-a', BASE + 2 * HOUR, { v: 2, w: 20 }),
        reading('dev-b', BASE + HOUR, { v: 10 }),
        reading('dev-a', BASE + 3 * HOUR, { v: 3 }),
      ]);
      // Older readings arriving last must not replace the newest.
      await store.write([reading('dev-a', BASE, { v: 0 }), reading('dev-b', BASE, { v: 9 })]);
      const latest = await store.latest();
      expect(latest).toHaveLength(2);
      expect(latest).toEqual(
        expect.arrayContaining([
          reading('dev-a', BASE + 3 * HOUR, { v: 3 }),
          reading('dev-b', BASE + HOUR, { v: 10 }),
        ]),
      );
      expect(await store.latest(['dev-b', 'dev-unknown'])).toEqual([
        reading('dev-b', BASE + HOUR, { v: 10 }),
      ]);
      expect(await store.latest([])).toEqual([]);
    });

    it('deletes readings older than a cutoff, keeping the one at the cutoff', async () => {
      const readings = ['dev-old-1', 'dev-old-2'].flatMap((device, d) =>
        Array.from({ length: 72 }, (_, k) => reading(device, BASE - DAY + k * HOUR + d * MINUTE, { v: k })),
      );
      await store.write(readings);
      const cutoff = BASE + 6 * HOUR + MINUTE;
      await store.deleteBefore(cutoff);
      for (const device of ['dev-old-1', 'dev-old-2']) {
        const kept = readings.filter((r) => r.device === device && r.ts >= cutoff);
        expect(kept.length).toBeGreaterThan(0);
        expect(await everything(device)).toEqual(expectedPoints(kept));
      }
      expect(await store.latest()).toHaveLength(2);
    });

    it('deletes one device and nothing else', async () => {
      const keep = Array.from({ length: 30 }, (_, k) =>
        reading('dev-keep', BASE + k * 10 * MINUTE, { v: k }),
      );
      const gone = Array.from({ length: 30 }, (_, k) =>
        reading('dev-gone', BASE + k * 10 * MINUTE, { v: -k - 1 }),
      );
      await store.write([...keep, ...gone]);
      await store.deleteDevice('dev-gone');
      expect(await everything('dev-gone')).toEqual([]);
      expect((await store.latest()).map((r) => r.device)).toEqual(['dev-keep']);
      expect(await everything('dev-keep')).toEqual(expectedPoints(keep));
      // The device may come back; only what it sends afterwards is there.
      const back = reading('dev-gone', BASE + DAY, { v: 1 });
      expect(await store.write([back])).toEqual({ stored: 1, duplicates: 0 });
      expect(await everything('dev-gone')).toEqual(expectedPoints([back]));
      await store.deleteDevice('dev-never-seen');
    });

    it('keeps many devices apart', async () => {
      const devices = Array.from({ length: 25 }, (_, d) => `fleet-${String(d).padStart(2, '0')}`);
      // Every device reports at the same instants; values tell the devices apart.
      const readings = Array.from({ length: 40 }, (_, k) =>
        devices.map((device, d) =>
          reading(device, BASE + k * 5 * MINUTE, { v: d * 1000 + k, [`only_${d % 3}`]: d }),
        ),
      ).flat();
      for (let start = 0; start < readings.length; start += 150)
        await store.write(readings.slice(start, start + 150));
      for (const device of devices) {
        expect(await everything(device)).toEqual(expectedPoints(readings.filter((r) => r.device === device)));
      }
      expect((await store.latest()).map((r) => r.device)).toEqual(devices);
    });

    it('refuses a reading that no backend can store, with an error that is not retryable', async () => {
      const bad = [reading('dev-bad', BASE, { v: 1 }), reading('dev-bad', BASE + SECOND, { v: Number.NaN })];
      const error = await store.write(bad).then(
        () => null,
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(Error);
      expect(isRetryable(error)).toBe(false);
      expect(String(error)).toMatch(/reading 1 .*not a finite number/);
      expect(await everything('dev-bad')).toEqual([]);
    });

    it('reports its size on disk when it can tell', async () => {
      await store.write(
        Array.from({ length: 100 }, (_, k) => reading('dev-size', BASE + k * SECOND, { v: k })),
      );
      const size = await store.sizeOnDisk();
      if (size !== null) expect(size).toBeGreaterThan(0);
      expect(store.kind).toMatch(/^[a-z]+$/);
    });
  });
}
