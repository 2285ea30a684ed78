import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../core/bus.js';
import { createLogger } from '../../core/log.js';
import { createMetrics } from '../../core/metrics.js';
import type { Reading } from '../../core/types.js';
import { GroupCommitter } from '../../ingest/committer.js';
import { StoreRequestError, StoreUnavailableError } from '../../store/telemetry/errors.js';
import type { TelemetryStore } from '../../store/telemetry/port.js';
import { SqliteTelemetryStore } from '../../store/telemetry/sqlite.js';

/** A real store whose writes fail while `down` is set, as a store outage would. */
function withOutage(store: TelemetryStore) {
  const control = { down: false, attempts: 0 };
  const outageStore: TelemetryStore = Object.create(store);
  outageStore.write = async (readings) => {
    control.attempts++;
    if (control.down) throw new StoreUnavailableError('connection refused');
    return store.write(readings);
  };
  return { store: outageStore, control };
}

const reading = (i: number): Reading => ({
  device: `d-${i % 7}`,
  ts: 1_700_000_000_000 + i,
  metrics: { v: i },
});

describe('group commit', () => {
  let dir: string;
  let store: SqliteTelemetryStore;
  const bus = new EventBus((_e, error) => {
    throw error;
  });
  const unstorable: Reading[] = [];
  const deps = {
    bus,
    metrics: createMetrics(),
    log: createLogger('silent'),
    clock: Date.now,
    onUnstorable: (reading: Reading) => unstorable.push(reading),
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'forewarn-commit-'));
    store = new SqliteTelemetryStore({ dir, retentionDays: 36500 });
    await store.open();
  });
  /** Readings in the store, over every device `reading()` makes. */
  async function storedCount(): Promise<number> {
    let stored = 0;
    for (let d = 0; d < 7; d++)
      stored += (await store.query({ device: `d-${d}`, from: 0, to: 2e12, limit: 1000 })).length;
    return stored;
  }

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits many messages in few transactions and reports each as durable only after its commit', async () => {
    const committer = new GroupCommitter(
      store,
      { batchMaxReadings: 500, batchWindowMs: 5, maxBufferedReadings: 10_000 },
      deps,
    );
    const batches: number[] = [];
    const off = bus.on('readingsStored', (b) => {
      batches.push(b.readings.length);
    });
    const durable = await Promise.all(
      Array.from({ length: 1200 }, (_, i) =>
        new Promise<number>((resolve) => committer.add([reading(i)], { durable: () => resolve(i) })).then(
          async (i) => {
            // by the time the callback runs, the reading must be readable from the store
            const [point] = await store.query({
              device: `d-${i % 7}`,
              from: reading(i).ts,
              to: reading(i).ts + 1,
              limit: 1,
            });
            return point?.values.v === i;
          },
        ),
      ),
    );
    expect(durable.every(Boolean)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(1200);
    expect(batches.length).toBeLessThanOrEqual(6);
    off();
    await committer.close();
  });

  it('holds and retries while the store is down, applies backpressure past the bound, and loses nothing', async () => {
    const { store: flaky, control } = withOutage(store);
    const committer = new GroupCommitter(
      flaky,
      { batchMaxReadings: 50, batchWindowMs: 1, maxBufferedReadings: 100, retryMinMs: 5, retryMaxMs: 20 },
      deps,
    );
    control.down = true;
    const accepted: number[] = [];
    const durable: number[] = [];
    for (let i = 0; i < 300; i++) {
      committer.add([reading(i)], { accepted: () => accepted.push(i), durable: () => durable.push(i) });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(control.attempts).toBeGreaterThan(2); // retried with backoff
    expect(durable).toEqual([]);
    expect(accepted).toHaveLength(100); // the rest wait: their PUBACKs are withheld
    expect(committer.buffered).toBe(100);
    expect(await deps.metrics.backpressure.get()).toMatchObject({ values: [{ value: 1 }] });

    control.down = false;
    await committer.drain();
    expect(accepted).toHaveLength(300);
    expect(durable.sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(await storedCount()).toBe(300);
    await committer.close();
  });

  it('isolates readings the store refuses outright, stores the rest, and holds up nobody', async () => {
    // A store that refuses any batch containing a reading of device "d-3" as a bad request (not retryable).
    const picky: TelemetryStore = Object.create(store);
    picky.write = async (readings) => {
      if (readings.some((r) => r.device === 'd-3')) throw new StoreRequestError('reserved name');
      return store.write(readings);
    };
    unstorable.length = 0;
    const committer = new GroupCommitter(
      picky,
      { batchMaxReadings: 100, batchWindowMs: 1, maxBufferedReadings: 10_000 },
      deps,
    );
    const durable: number[] = [];
    for (let i = 0; i < 70; i++) committer.add([reading(i)], { durable: () => durable.push(i) });
    await committer.drain();
    expect(durable).toHaveLength(70);
    expect(unstorable.map((r) => r.metrics.v).sort((a, b) => a - b)).toEqual([
      3, 10, 17, 24, 31, 38, 45, 52, 59, 66,
    ]);
    expect(await storedCount()).toBe(60);
    await committer.close();
  });

  it('overlaps commits on a store that takes several writes, and still acknowledges them in order', async () => {
    // The real store behind a round trip whose length varies, so that later batches often finish first.
    const remote: TelemetryStore = Object.create(store);
    Object.defineProperty(remote, 'writeConcurrency', { value: 3 });
    let inFlight = 0;
    let mostInFlight = 0;
    let call = 0;
    remote.write = async (readings) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, [12, 2, 6][call++ % 3]));
      inFlight--;
      return store.write(readings);
    };
    const committer = new GroupCommitter(
      remote,
      { batchMaxReadings: 20, batchWindowMs: 1, maxBufferedReadings: 10_000 },
      deps,
    );
    const handedOn: number[] = [];
    const off = bus.on('readingsStored', (batch) => {
      handedOn.push(...batch.readings.map((r) => r.metrics.v));
    });
    const durable: number[] = [];
    // Messages arrive over time, a batch's worth at a time, while earlier commits are still under way.
    for (let i = 0; i < 400; i++) {
      committer.add([reading(i)], { durable: () => durable.push(i) });
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await committer.drain();
    off();
    const inOrder = Array.from({ length: 400 }, (_, i) => i);
    expect(mostInFlight).toBe(3);
    expect(durable).toEqual(inOrder);
    expect(handedOn).toEqual(inOrder);
    expect(await storedCount()).toBe(400);
    await committer.close();
  });
});
