import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Reading } from '../../core/types.js';
import { StoreRequestError } from '../../store/telemetry/errors.js';
import { SQLITE_TELEMETRY_FILE, SqliteTelemetryStore } from '../../store/telemetry/sqlite.js';
import { fleetReadings } from './fixtures/readings.js';
import { telemetryStoreContract } from './telemetry-contract.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Midnight three days ago. */
const START = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;

const directories: string[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'forewarn-sqlite-'));
  directories.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

telemetryStoreContract(
  'SQLite',
  async () => {
    const store = new SqliteTelemetryStore({ dir: freshDir(), retentionDays: 30 });
    await store.open();
    return { store, cleanup: () => store.close() };
  },
  { countsEarlierDuplicates: true },
);

/** Every reading of a device, raw. */
function everything(store: SqliteTelemetryStore, device: string) {
  return store.query({ device, from: START - 30 * DAY, to: START + 30 * DAY, limit: 100_000 });
}

function expectedPoints(readings: readonly Reading[], device: string) {
  return readings
    .filter((r) => r.device === device)
    .sort((a, b) => a.ts - b.ts)
    .map(({ ts, metrics }) => ({ ts, values: metrics }));
}

async function writeInBatches(store: SqliteTelemetryStore, readings: readonly Reading[], size: number) {
  for (let at = 0; at < readings.length; at += size) await store.write(readings.slice(at, at + size));
}

describe('SQLite telemetry store', () => {
  let dir: string;
  let store: SqliteTelemetryStore;

  beforeEach(async () => {
    dir = freshDir();
    store = new SqliteTelemetryStore({ dir, retentionDays: 30 });
    await store.open();
  });

  afterEach(async () => {
    await store.close();
  });

  it('keeps everything, hot and sealed, across close and reopen, and still knows what it has', async () => {
    const readings = fleetReadings(['dev-1', 'dev-2'], START, 6 * 360 + 17);
    await writeInBatches(store, readings, 500);
    const before = await store.stats();
    expect(before.sealedReadings).toBeGreaterThan(0);
    expect(before.hotReadings).toBeGreaterThan(0);
    const latest = await store.latest();
    await store.close();

    store = new SqliteTelemetryStore({ dir, retentionDays: 30 });
    await store.open();
    expect(await store.stats()).toEqual(before);
    for (const device of ['dev-1', 'dev-2'])
      expect(await everything(store, device)).toEqual(expectedPoints(readings, device));
    expect(await store.latest()).toEqual(latest);
    // Repeats of sealed and of hot readings are both recognised after the restart.
    const repeats = [readings[3], readings[readings.length - 1], readings[readings.length - 2]];
    expect(await store.write(repeats)).toEqual({ stored: 0, duplicates: 3 });
  });

  it('compacts a day of readings to well under 24 bytes each, without changing a value', async () => {
    const devices = ['dev-a', 'dev-b', 'dev-c', 'dev-d'];
    const readings = fleetReadings(devices, START, 8640);
    await writeInBatches(store, readings, 1000);
    const stats = await store.stats();
    expect(stats.hotReadings + stats.sealedReadings).toBe(readings.length);
    // Only the last hour or so of each device stays hot.
    expect(stats.sealedReadings / readings.length).toBeGreaterThan(0.94);
    for (const device of devices)
      expect(await everything(store, device)).toEqual(expectedPoints(readings, device));
    await store.close();
    const bytesPerReading = (await store.sizeOnDisk())! / readings.length;
    expect(bytesPerReading).toBeLessThan(24);
  });

  it('ignores a repeat of a sealed reading and keeps the first value it stored', async () => {
    const readings = Array.from({ length: 4 * 60 }, (_, k) => ({
      device: 'dev-seal',
      ts: START + k * MINUTE,
      metrics: { v: k },
    }));
    await store.write(readings);
    expect((await store.stats()).sealedReadings).toBeGreaterThan(120);
    const changed = readings.slice(0, 100).map((r) => ({ ...r, metrics: { v: -1 } }));
    expect(await store.write(changed)).toEqual({ stored: 0, duplicates: 100 });
    // Within one batch too, the first of two readings with one timestamp wins.
    const twice = [
      { device: 'dev-seal', ts: START - MINUTE, metrics: { v: 1 } },
      { device: 'dev-seal', ts: START - MINUTE, metrics: { v: 2 } },
    ];
    expect(await store.write(twice)).toEqual({ stored: 1, duplicates: 1 });
    expect(await everything(store, 'dev-seal')).toEqual(expectedPoints([twice[0], ...readings], 'dev-seal'));
  });

  it('merges late readings into windows that were already sealed', async () => {
    const all = Array.from({ length: 5 * 60 }, (_, k) => ({
      device: 'dev-late',
      ts: START + k * MINUTE,
      metrics: { v: k },
    }));
    const late = all.filter((_, k) => k % 5 === 2);
    await store.write(all.filter((_, k) => k % 5 !== 2));
    const sealed = (await store.stats()).sealedReadings;
    expect(sealed).toBeGreaterThan(0);
    expect(await store.write(late)).toEqual({ stored: late.length, duplicates: 0 });
    // Push the series forward so that the windows holding the late readings are sealed again.
    await store.write([{ device: 'dev-late', ts: START + 7 * HOUR, metrics: { v: -1 } }]);
    expect((await store.stats()).sealedReadings).toBe(all.length);
    expect(await everything(store, 'dev-late')).toEqual(
      expectedPoints([...all, { device: 'dev-late', ts: START + 7 * HOUR, metrics: { v: -1 } }], 'dev-late'),
    );
    expect(await store.write(late)).toEqual({ stored: 0, duplicates: late.length });
  });

  it('keeps -0 and values beyond the decimal encoding exactly', async () => {
    const values = [
      -0,
      5e-324,
      Number.MAX_VALUE,
      -Number.MIN_VALUE,
      2 ** 52 + 0.5,
      1e-7,
      1.000001,
      0.1 + 0.7,
    ];
    const readings = values.map((x, k) => ({
      device: 'dev-odd',
      ts: START + k * 10 * MINUTE,
      metrics: { x },
    }));
    await store.write(readings);
    await store.write([{ device: 'dev-odd', ts: START + 3 * HOUR, metrics: { x: 1 } }]);
    expect((await store.stats()).sealedReadings).toBe(values.length);
    const stored = (await everything(store, 'dev-odd'))
      .slice(0, values.length)
      .map((point) => point.values.x);
    // toEqual compares numbers with Object.is, so -0 must come back as -0.
    expect(stored).toEqual(values);
  });

  it('survives being killed right after a write resolved', async () => {
    const count = 2500;
    const killed = freshDir();
    const script = fileURLToPath(new URL('./fixtures/write-then-kill.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, killed, String(count), String(START)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, sig) => resolve(sig)),
    );
    expect(signal, stderr).toBe('SIGKILL');
    await store.close();
    store = new SqliteTelemetryStore({ dir: killed, retentionDays: 30 });
    await store.open();
    const written = fleetReadings(['dev-kill'], START, count);
    expect(await everything(store, 'dev-kill')).toEqual(expectedPoints(written, 'dev-kill'));
  });

  it('refuses to open a file written with another schema version', async () => {
    await store.close();
    const other = freshDir();
    const db = new Database(join(other, SQLITE_TELEMETRY_FILE));
    db.pragma('user_version = 99');
    db.close();
    store = new SqliteTelemetryStore({ dir: other, retentionDays: 30 });
    await expect(store.open()).rejects.toThrow(/schema version 99/);
    await expect(store.write([])).rejects.toBeInstanceOf(StoreRequestError);
  });
});

describe('SQLite telemetry store over time', () => {
  let now: number;
  let store: SqliteTelemetryStore;
  let dir: string;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'] });
    now = START + 2 * DAY;
    dir = freshDir();
    store = new SqliteTelemetryStore({ dir, retentionDays: 1, clock: () => now });
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    vi.useRealTimers();
  });

  it('seals the readings of a device that went quiet', async () => {
    const readings = Array.from({ length: 20 }, (_, k) => ({
      device: 'dev-quiet',
      ts: now + k * 10_000,
      metrics: { v: k },
    }));
    await store.write(readings);
    expect(await store.stats()).toMatchObject({ hotReadings: 20, sealedReadings: 0 });
    now += 31 * MINUTE;
    // The minute tick finds the quiet series; the sealing step runs as an immediate right after it.
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.advanceTimersByTimeAsync(1);
    expect(await store.stats()).toMatchObject({ hotReadings: 0, sealedReadings: 20 });
    expect(await everything(store, 'dev-quiet')).toEqual(expectedPoints(readings, 'dev-quiet'));
    // The device comes back inside the sealed hour.
    const more = { device: 'dev-quiet', ts: now, metrics: { v: 99 } };
    expect(await store.write([readings[0], more])).toEqual({ stored: 1, duplicates: 1 });
    expect(await everything(store, 'dev-quiet')).toEqual(expectedPoints([...readings, more], 'dev-quiet'));
  });

  it('deletes readings past retention every hour and when it opens', async () => {
    const old = { device: 'dev-ret', ts: now - 30 * HOUR, metrics: { v: 1 } };
    const recent = { device: 'dev-ret', ts: now - 10 * HOUR, metrics: { v: 2 } };
    await store.write([old, recent]);
    expect(await everything(store, 'dev-ret')).toHaveLength(2);
    now += HOUR;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await everything(store, 'dev-ret')).toEqual(expectedPoints([recent], 'dev-ret'));
    await store.close();
    now += 20 * HOUR;
    store = new SqliteTelemetryStore({ dir, retentionDays: 1, clock: () => now });
    await store.open();
    expect(await everything(store, 'dev-ret')).toEqual([]);
  });
});
