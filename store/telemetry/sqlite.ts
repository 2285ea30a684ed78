import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as pause } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Reading } from '../../core/types.js';
import { assertQueryable, assertStorable, StoreRequestError, StoreUnavailableError } from './errors.js';
import type { RangeQuery, SeriesPoint, TelemetryStore, WriteResult } from './port.js';
import {
  type Block,
  BlockBuilder,
  ByteWriter,
  chunkLength,
  decodeChunk,
  decodeChunks,
  decodeChunkTimestamps,
  encodeChunk,
  sliceFrom,
} from './sqlite-codec.js';
import { collectPoints, downsample, type NamedBlock } from './sqlite-read.js';

export interface SqliteTelemetryStoreOptions {
  /** Directory for `telemetry.db` (and its -wal file); created if missing. */
  dir: string;
  /** Readings older than this many days are deleted when the store opens and every hour after. */
  retentionDays: number;
  /** Wall clock in epoch ms (retention and sealing of quiet devices); tests pass a controlled one. */
  clock?: () => number;
  /** Told about failures of background sealing and retention, which are tried again later. */
  onBackgroundError?: (error: unknown) => void;
}

/** Size and shape of the stored data (counting scans the tables: for diagnostics, tests and benchmarks). */
export interface SqliteTelemetryStats {
  /** Devices with a series id. */
  series: number;
  /** Readings in the hot table, not yet sealed. */
  hotReadings: number;
  /** Sealed chunk rows. */
  chunks: number;
  /** Readings inside sealed chunks. */
  sealedReadings: number;
}

export const SQLITE_TELEMETRY_FILE = 'telemetry.db';
const SCHEMA_VERSION = 1;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A sealed chunk holds one series' readings of one window aligned to epoch multiples of this. */
const WINDOW_MS = HOUR_MS;
/**
 * Hot rows are clustered by time bucket first: a batch from many devices at one moment lands on a few
 * neighbouring pages instead of one page per device, while one device's rows stay a few seeks away.
 */
const BUCKET_MS = 10 * 60_000;
/** A window is sealed once its series has a reading this far past the window's end: room for stragglers. */
const SEAL_GRACE_MS = 5 * 60_000;
/** A series without writes for this long (wall clock) gets all of its hot readings sealed. */
const IDLE_SEAL_MS = 30 * 60_000;
/** Readings one compaction step seals at most (whole windows, so one busy window may exceed it). */
const STEP_MAX_READINGS = 16_384;
/** A write's own compaction step may seal this many readings even after a small write. */
const STEP_MIN_READINGS = 1_024;
const MAINTENANCE_INTERVAL_MS = 60_000;
/** Series handled per transaction when deleting chunks by time, so other work can run in between. */
const DELETE_SERIES_PER_STEP = 256;
const MAX_TS = Number.MAX_SAFE_INTEGER;

const SCHEMA = `
  -- Device ids as small integers: every other row refers to a series by its id.
  CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    device TEXT NOT NULL UNIQUE,
    -- Every window before this has been sealed at least once: older readings may sit in chunks.
    sealed_before INTEGER
  );
  CREATE TABLE metric (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
  -- Recent readings: one row per series, bucket (floor(ts / BUCKET_MS)) and write, holding a block
  -- whose first reading is at first_ts.
  CREATE TABLE hot (
    bucket INTEGER NOT NULL,
    series INTEGER NOT NULL,
    first_ts INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (bucket, series, first_ts)
  ) WITHOUT ROWID;
  -- Sealed readings, one block per series and window. A rowid table: its large rows fill overflow
  -- pages completely, where a WITHOUT ROWID table would leave them half empty.
  CREATE TABLE chunk (
    series INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    readings INTEGER NOT NULL,
    data BLOB NOT NULL
  );
  CREATE UNIQUE INDEX chunk_by_series ON chunk (series, window_start);
`;

/**
 * What the store keeps in memory about a series. Invariant: a (series, ts) is stored at most once across
 * hot rows and chunks; a reading can only repeat a hot one if ts ≤ newestTs and a sealed one if
 * ts < sealedBefore, so an in-order stream never reads anything back to check for duplicates.
 */
interface SeriesState {
  id: number;
  device: string;
  /** Every sealed reading is older than this. */
  sealedBefore: number;
  /** Every hot reading is at or before this. */
  newestTs: number;
  /** Seal cutoff as of the last write, to notice when hot rows become sealable. */
  cutoff: number;
  /** Wall-clock time of the last write (or of opening), to seal series that went quiet. */
  lastWriteAt: number;
  /** Buckets that may hold hot rows of this series (a superset after a failed transaction). */
  hotBuckets: Set<number>;
}

function newSeries(id: number, device: string, sealedBefore: number, now: number): SeriesState {
  return {
    id,
    device,
    sealedBefore,
    newestTs: Number.NEGATIVE_INFINITY,
    cutoff: Number.NEGATIVE_INFINITY,
    lastWriteAt: now,
    hotBuckets: new Set(),
  };
}

function bucketOf(ts: number): number {
  return Math.floor(ts / BUCKET_MS);
}

function windowStart(ts: number): number {
  return Math.floor(ts / WINDOW_MS) * WINDOW_MS;
}

/** Windows before this may be sealed, given the newest timestamp of their series. */
function sealCutoff(newestTs: number): number {
  return windowStart(newestTs - SEAL_GRACE_MS);
}

const ascending = (a: number, b: number) => a - b;

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|NOMEM|CANTOPEN)/;

/** SQLite's transient failures (busy, disk full, I/O) become retryable store errors. */
function classify(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    return new StoreUnavailableError(`SQLite telemetry store: ${(error as Error).message} (${code})`, {
      cause: error,
    });
  }
  return error;
}

function prepareStatements(db: Database.Database) {
  return {
    insertSeries: db.prepare<[string], { id: number }>('INSERT INTO series (device) VALUES (?) RETURNING id'),
    insertMetric: db.prepare<[string], { id: number }>('INSERT INTO metric (name) VALUES (?) RETURNING id'),
    updateSealedBefore: db.prepare('UPDATE series SET sealed_before = ? WHERE id = ?'),
    deleteSeries: db.prepare('DELETE FROM series WHERE id = ?'),
    insertHot: db.prepare('INSERT INTO hot (bucket, series, first_ts, data) VALUES (?, ?, ?, ?)'),
    selectHot: db
      .prepare<[number, number], Buffer>(
        'SELECT data FROM hot WHERE bucket = ? AND series = ? ORDER BY first_ts',
      )
      .pluck(),
    deleteHot: db.prepare('DELETE FROM hot WHERE bucket = ? AND series = ?'),
    deleteHotRow: db.prepare('DELETE FROM hot WHERE bucket = ? AND series = ? AND first_ts = ?'),
    deleteHotBefore: db.prepare('DELETE FROM hot WHERE bucket < ?'),
    selectHotStartingBefore: db
      .prepare<[number, number], [number, number, Buffer]>(
        'SELECT series, first_ts, data FROM hot WHERE bucket = ? AND first_ts < ?',
      )
      .raw(),
    selectChunk: db
      .prepare<[number, number], Buffer>('SELECT data FROM chunk WHERE series = ? AND window_start = ?')
      .pluck(),
    selectChunkRange: db
      .prepare<[number, number, number], [number, Buffer]>(
        'SELECT window_start, data FROM chunk WHERE series = ? AND window_start >= ? AND window_start < ? ORDER BY window_start',
      )
      .raw(),
    selectNewestChunk: db
      .prepare<[number], [number, Buffer]>(
        'SELECT last_ts, data FROM chunk WHERE series = ? ORDER BY window_start DESC LIMIT 1',
      )
      .raw(),
    upsertChunk: db.prepare(
      `INSERT INTO chunk (series, window_start, last_ts, readings, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (series, window_start) DO UPDATE
       SET last_ts = excluded.last_ts, readings = excluded.readings, data = excluded.data`,
    ),
    deleteChunk: db.prepare('DELETE FROM chunk WHERE series = ? AND window_start = ?'),
    deleteChunksBefore: db.prepare('DELETE FROM chunk WHERE series = ? AND window_start < ?'),
    deleteChunksOfSeries: db.prepare('DELETE FROM chunk WHERE series = ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * Telemetry in one embedded SQLite file. A write stores, per device and ten-minute bucket, one hot row
 * holding its readings as a block; once a series has moved a few minutes past the end of an hour, that
 * hour's hot rows are sealed into one compressed chunk row (see sqlite-codec.ts), in small steps after
 * each write and in the background. Queries merge chunks and hot rows.
 *
 * Everything runs on the calling thread as short synchronous transactions of bounded size. A worker
 * thread would spare the event loop only part of that work, since handing it the readings means
 * serialising every one of them on this thread, and it would need its own protocol and failure handling.
 */
export class SqliteTelemetryStore implements TelemetryStore {
  readonly kind = 'sqlite';
  readonly writeConcurrency = 1;
  readonly #dir: string;
  readonly #retentionMs: number;
  readonly #clock: () => number;
  readonly #onBackgroundError: (error: unknown) => void;
  #db: Database.Database | null = null;
  #sql!: Statements;
  readonly #seriesByDevice = new Map<string, SeriesState>();
  readonly #metricIds = new Map<string, number>();
  readonly #metricNames = new Map<number, string>();
  /** Series that may have sealable hot rows. */
  readonly #due = new Set<SeriesState>();
  readonly #writer = new ByteWriter();
  #maintenanceTimer: NodeJS.Timeout | null = null;
  #backgroundStep: NodeJS.Immediate | null = null;
  #lastRetentionAt = Number.NEGATIVE_INFINITY;

  constructor(options: SqliteTelemetryStoreOptions) {
    if (!(options.retentionDays > 0)) throw new RangeError('retentionDays must be a positive number of days');
    this.#dir = options.dir;
    this.#retentionMs = options.retentionDays * DAY_MS;
    this.#clock = options.clock ?? Date.now;
    this.#onBackgroundError =
      options.onBackgroundError ??
      ((error) => process.emitWarning(`telemetry store background work failed: ${(error as Error).message}`));
  }

  /** Path of the database file. */
  get file(): string {
    return join(this.#dir, SQLITE_TELEMETRY_FILE);
  }

  async open(): Promise<void> {
    if (this.#db) return;
    mkdirSync(this.#dir, { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(this.file);
    } catch (error) {
      throw classify(error);
    }
    try {
      this.#configure(db);
      this.#sql = prepareStatements(db);
      this.#loadState(db);
    } catch (error) {
      db.close();
      throw classify(error);
    }
    this.#db = db;
    this.#maintenanceTimer = setInterval(() => this.#maintain(), MAINTENANCE_INTERVAL_MS);
    this.#maintenanceTimer.unref();
    this.#lastRetentionAt = this.#clock();
    await this.deleteBefore(this.#lastRetentionAt - this.#retentionMs);
  }

  #configure(db: Database.Database): void {
    const version = db.pragma('user_version', { simple: true }) as number;
    // Must precede the first table; 8 KiB pages pack the chunk rows with little slack.
    if (version === 0) db.pragma('page_size = 8192');
    db.pragma('journal_mode = WAL');
    // With WAL, NORMAL syncs on checkpoints only: a committed transaction survives a crash or kill of this
    // process (the OS holds the WAL), while a power loss may take the last few commits with it.
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    if (version === 0) {
      db.transaction(() => {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    } else if (version !== SCHEMA_VERSION) {
      throw new StoreRequestError(
        `${this.file} has telemetry schema version ${version}; this version of Forewarn reads version ${SCHEMA_VERSION}`,
      );
    }
  }

  #loadState(db: Database.Database): void {
    const now = this.#clock();
    this.#seriesByDevice.clear();
    this.#metricIds.clear();
    this.#metricNames.clear();
    this.#due.clear();
    const byId = new Map<number, SeriesState>();
    const rows = db.prepare('SELECT id, device, sealed_before FROM series').raw().all() as [
      number,
      string,
      number | null,
    ][];
    for (const [id, device, sealedBefore] of rows) {
      const series = newSeries(id, device, sealedBefore ?? Number.NEGATIVE_INFINITY, now);
      this.#seriesByDevice.set(device, series);
      byId.set(id, series);
    }
    for (const [id, name] of db.prepare('SELECT id, name FROM metric').raw().all() as [number, string][]) {
      this.#metricIds.set(name, id);
      this.#metricNames.set(id, name);
    }
    for (const [bucket, id, data] of db
      .prepare('SELECT bucket, series, data FROM hot')
      .raw()
      .iterate() as Iterable<[number, number, Buffer]>) {
      const series = byId.get(id);
      if (!series) continue;
      series.hotBuckets.add(bucket);
      const ts = decodeChunkTimestamps(data);
      series.newestTs = Math.max(series.newestTs, ts[ts.length - 1]);
      series.cutoff = sealCutoff(series.newestTs);
      this.#due.add(series);
    }
  }

  #open(): Database.Database {
    if (!this.#db) throw new StoreRequestError('the SQLite telemetry store is not open');
    return this.#db;
  }

  async write(readings: readonly Reading[]): Promise<WriteResult> {
    const db = this.#open();
    assertStorable(readings, { devices: this.#seriesByDevice, metrics: this.#metricIds });
    const created: { series: SeriesState[]; metrics: string[] } = { series: [], metrics: [] };
    let result: WriteResult;
    try {
      result = db.transaction(() => this.#insert(readings, created))();
    } catch (error) {
      // The rolled-back transaction took these ids with it.
      for (const series of created.series) {
        this.#seriesByDevice.delete(series.device);
        this.#due.delete(series);
      }
      for (const name of created.metrics) {
        this.#metricNames.delete(this.#metricIds.get(name)!);
        this.#metricIds.delete(name);
      }
      throw classify(error);
    }
    // Seal about twice what was written, so that compaction keeps pace with a sustained stream.
    this.#compactSafely(Math.min(STEP_MAX_READINGS, Math.max(STEP_MIN_READINGS, readings.length * 2)));
    this.#scheduleBackgroundStep();
    return result;
  }

  #insert(readings: readonly Reading[], created: { series: SeriesState[]; metrics: string[] }): WriteResult {
    const now = this.#clock();
    const groups = new Map<SeriesState, Map<number, Reading[]>>();
    for (const reading of readings) {
      let series = this.#seriesByDevice.get(reading.device);
      if (!series) {
        series = newSeries(
          this.#sql.insertSeries.get(reading.device)!.id,
          reading.device,
          Number.NEGATIVE_INFINITY,
          now,
        );
        this.#seriesByDevice.set(series.device, series);
        created.series.push(series);
      }
      const bucket = bucketOf(reading.ts);
      let buckets = groups.get(series);
      if (!buckets) {
        buckets = new Map();
        groups.set(series, buckets);
      }
      const group = buckets.get(bucket);
      if (group) group.push(reading);
      else buckets.set(bucket, [reading]);
    }
    const idOf = (name: string): number => {
      let id = this.#metricIds.get(name);
      if (id === undefined) {
        id = this.#sql.insertMetric.get(name)!.id;
        this.#metricIds.set(name, id);
        this.#metricNames.set(id, name);
        created.metrics.push(name);
      }
      return id;
    };
    const storedTimes = new Map<string, Set<number>>();
    let stored = 0;
    for (const [series, buckets] of groups) {
      for (const [bucket, group] of buckets) {
        const block = this.#newReadings(series, bucket, group, idOf, storedTimes);
        if (!block) continue;
        const first = block.ts[0];
        const last = block.ts[block.ts.length - 1];
        this.#sql.insertHot.run(bucket, series.id, first, encodeChunk(this.#writer, block));
        stored += block.ts.length;
        series.hotBuckets.add(bucket);
        series.lastWriteAt = now;
        if (last > series.newestTs) {
          series.newestTs = last;
          const cutoff = sealCutoff(last);
          if (cutoff > series.cutoff) {
            series.cutoff = cutoff;
            this.#due.add(series);
          }
        }
        if (first < series.cutoff) this.#due.add(series);
      }
    }
    return { stored, duplicates: readings.length - stored };
  }

  /** The readings of one series and bucket that are not stored yet, as a block; null when none are new. */
  #newReadings(
    series: SeriesState,
    bucket: number,
    group: Reading[],
    idOf: (name: string) => number,
    storedTimes: Map<string, Set<number>>,
  ): Block | null {
    // Stable: of two readings with the same timestamp the first one sent is kept.
    if (!isStrictlyAscending(group)) group.sort((a, b) => a.ts - b.ts);
    const builder = new BlockBuilder(group.length);
    let previous = Number.NaN;
    for (const { ts, metrics } of group) {
      if (ts === previous) continue;
      previous = ts;
      if (ts <= series.newestTs && this.#storedTimes(series, 'hot', bucket, storedTimes).has(ts)) continue;
      if (
        ts < series.sealedBefore &&
        this.#storedTimes(series, 'chunk', windowStart(ts), storedTimes).has(ts)
      ) {
        continue;
      }
      builder.add(ts, metrics, idOf);
    }
    return builder.size > 0 ? builder.build() : null;
  }

  /** Timestamps already stored in one hot bucket or one chunk of a series, read once per write. */
  #storedTimes(
    series: SeriesState,
    where: 'hot' | 'chunk',
    at: number,
    cache: Map<string, Set<number>>,
  ): Set<number> {
    const key = `${where}:${series.id}:${at}`;
    let times = cache.get(key);
    if (!times) {
      times = new Set();
      const blocks =
        where === 'hot' ? this.#sql.selectHot.all(at, series.id) : [this.#sql.selectChunk.get(series.id, at)];
      for (const data of blocks) {
        if (data) for (const ts of decodeChunkTimestamps(data)) times.add(ts);
      }
      cache.set(key, times);
    }
    return times;
  }

  #compactSafely(budget: number): void {
    try {
      this.#compact(budget);
    } catch (error) {
      this.#onBackgroundError(classify(error));
    }
  }

  /**
   * Seals the sealable windows of due series into chunks, whole windows at a time, until about `budget`
   * readings have moved.
   */
  #compact(budget: number): void {
    const db = this.#db;
    if (!db) return;
    const now = this.#clock();
    let sealed = 0;
    for (const series of this.#due) {
      if (sealed >= budget) break;
      const idle = now - series.lastWriteAt >= IDLE_SEAL_MS;
      const windows = sealableWindows(series, idle ? MAX_TS : sealCutoff(series.newestTs));
      const done: WindowBuckets[] = [];
      try {
        db.transaction(() => {
          while (done.length < windows.length && sealed < budget) {
            const window = windows[done.length];
            sealed += this.#seal(series, window);
            done.push(window);
          }
        })();
      } catch (error) {
        // Tried again when the series next becomes due, instead of failing every step from now on.
        this.#due.delete(series);
        throw error;
      }
      for (const { buckets } of done) for (const bucket of buckets) series.hotBuckets.delete(bucket);
      if (done.length === windows.length) this.#due.delete(series);
    }
  }

  /** Moves the hot rows of one window into its chunk; returns how many readings moved. */
  #seal(series: SeriesState, { window, buckets }: WindowBuckets): number {
    const rows = buckets.flatMap((bucket) => this.#sql.selectHot.all(bucket, series.id));
    if (rows.length === 0) return 0;
    const existing = this.#sql.selectChunk.get(series.id, window);
    const block = decodeChunks(existing ? [existing, ...rows] : rows);
    const moved = rows.reduce((sum, row) => sum + chunkLength(row), 0);
    this.#putChunk(series.id, window, block);
    for (const bucket of buckets) this.#sql.deleteHot.run(bucket, series.id);
    const sealedBefore = Math.max(series.sealedBefore, window + WINDOW_MS);
    this.#sql.updateSealedBefore.run(sealedBefore, series.id);
    // Safe before the commit: if it rolls back, a bound that is too high only costs a lookup.
    series.sealedBefore = sealedBefore;
    return moved;
  }

  #putChunk(seriesId: number, window: number, block: Block): void {
    const n = block.ts.length;
    if (n === 0) this.#sql.deleteChunk.run(seriesId, window);
    else this.#sql.upsertChunk.run(seriesId, window, block.ts[n - 1], n, encodeChunk(this.#writer, block));
  }

  #scheduleBackgroundStep(): void {
    if (this.#backgroundStep || this.#due.size === 0 || !this.#db) return;
    this.#backgroundStep = setImmediate(() => {
      this.#backgroundStep = null;
      this.#compactSafely(STEP_MAX_READINGS);
      this.#scheduleBackgroundStep();
    });
  }

  /** Seals series that went quiet and applies retention once an hour. */
  #maintain(): void {
    const now = this.#clock();
    for (const series of this.#seriesByDevice.values()) {
      if (series.hotBuckets.size > 0 && now - series.lastWriteAt >= IDLE_SEAL_MS) this.#due.add(series);
    }
    this.#scheduleBackgroundStep();
    if (now - this.#lastRetentionAt >= HOUR_MS) {
      this.#lastRetentionAt = now;
      this.deleteBefore(now - this.#retentionMs).catch(this.#onBackgroundError);
    }
  }

  async query(query: RangeQuery): Promise<SeriesPoint[]> {
    this.#open();
    const { device, from, to, metrics, limit, step } = query;
    assertQueryable(query);
    const series = this.#seriesByDevice.get(device);
    if (!series || from >= to || limit === 0) return [];
    const wanted = metrics ? this.#knownMetricIds(metrics) : null;
    if (wanted?.length === 0) return [];
    try {
      const blocks = this.#blocks(series, from, to, wanted);
      return step ? downsample(blocks, from, to, step, limit) : collectPoints(blocks, from, to, limit);
    } catch (error) {
      throw classify(error);
    }
  }

  #knownMetricIds(names: readonly string[]): number[] {
    const ids = new Set<number>();
    for (const name of names) {
      const id = this.#metricIds.get(name);
      if (id !== undefined) ids.add(id);
    }
    return [...ids];
  }

  /**
   * One series' readings around [from, to) as time-ordered, non-overlapping blocks, one per window: the
   * window's chunk combined with its hot rows. Lazy, so a limited query stops decoding early.
   */
  *#blocks(series: SeriesState, from: number, to: number, wanted: number[] | null): Generator<NamedBlock> {
    const hot = new Map<number, Buffer[]>();
    const buckets = [...series.hotBuckets]
      .filter((b) => b >= bucketOf(from) && b * BUCKET_MS < to)
      .sort(ascending);
    for (const bucket of buckets) {
      const window = windowStart(bucket * BUCKET_MS);
      hot.set(window, [...(hot.get(window) ?? []), ...this.#sql.selectHot.all(bucket, series.id)]);
    }
    const hotWindows = [...hot.keys()];
    let next = 0;
    for (const [window, data] of this.#sql.selectChunkRange.iterate(series.id, windowStart(from), to)) {
      for (; next < hotWindows.length && hotWindows[next] < window; next++) {
        yield this.#named(decodeChunks(hot.get(hotWindows[next])!), wanted);
      }
      const rows = hotWindows[next] === window ? hot.get(hotWindows[next++])! : [];
      yield this.#named(decodeChunks([data, ...rows]), wanted);
    }
    for (; next < hotWindows.length; next++)
      yield this.#named(decodeChunks(hot.get(hotWindows[next])!), wanted);
  }

  #named(block: Block, wanted: number[] | null): NamedBlock {
    const columns: [string, Float64Array][] = [];
    for (const id of wanted ?? block.columns.keys()) {
      const values = block.columns.get(id);
      if (values) columns.push([this.#metricNames.get(id)!, values]);
    }
    return { ts: block.ts, columns };
  }

  async latest(devices?: readonly string[]): Promise<Reading[]> {
    this.#open();
    const wanted = devices ? new Set(devices) : this.#seriesByDevice.keys();
    const readings: Reading[] = [];
    try {
      for (const device of wanted) {
        const series = this.#seriesByDevice.get(device);
        const reading = series && this.#newest(series);
        if (reading) readings.push(reading);
      }
    } catch (error) {
      throw classify(error);
    }
    return readings.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  }

  #newest(series: SeriesState): Reading | null {
    let newest: Block | null = null;
    for (const bucket of [...series.hotBuckets].sort((a, b) => b - a)) {
      const rows = this.#sql.selectHot.all(bucket, series.id);
      if (rows.length > 0) {
        newest = decodeChunks(rows);
        break;
      }
    }
    const chunk = this.#sql.selectNewestChunk.get(series.id);
    if (chunk && (!newest || chunk[0] > newest.ts[newest.ts.length - 1])) newest = decodeChunk(chunk[1]);
    if (!newest) return null;
    const last = newest.ts.length - 1;
    const metrics: Record<string, number> = {};
    for (const [id, values] of newest.columns) {
      if (!Number.isNaN(values[last])) metrics[this.#metricNames.get(id)!] = values[last];
    }
    return { device: series.device, ts: newest.ts[last], metrics };
  }

  /**
   * Deletes readings older than `cutoff`: hot rows in one transaction, then chunks a few hundred series
   * per transaction with pauses in between, so a large deletion does not stall ingest.
   */
  async deleteBefore(cutoff: number): Promise<void> {
    const db = this.#open();
    if (!Number.isFinite(cutoff)) throw new StoreRequestError('cutoff must be epoch ms');
    const all = [...this.#seriesByDevice.values()];
    const bucket = bucketOf(cutoff);
    try {
      db.transaction(() => {
        this.#sql.deleteHotBefore.run(bucket);
        for (const [id, firstTs, data] of this.#sql.selectHotStartingBefore.all(bucket, cutoff)) {
          this.#sql.deleteHotRow.run(bucket, id, firstTs);
          const rest = sliceFrom(decodeChunk(data), cutoff);
          if (rest.ts.length > 0)
            this.#sql.insertHot.run(bucket, id, rest.ts[0], encodeChunk(this.#writer, rest));
        }
      })();
    } catch (error) {
      throw classify(error);
    }
    // A bucket that may have kept rows stays listed: the set may hold more buckets than exist, never fewer.
    for (const series of all) for (const b of series.hotBuckets) if (b < bucket) series.hotBuckets.delete(b);
    for (let start = 0; start < all.length; start += DELETE_SERIES_PER_STEP) {
      if (start > 0) await pause();
      const current = this.#db;
      if (!current) return; // closed meanwhile; the next open applies retention again
      try {
        current.transaction(() => {
          for (const series of all.slice(start, start + DELETE_SERIES_PER_STEP))
            this.#deleteChunksBefore(series, cutoff);
        })();
      } catch (error) {
        throw classify(error);
      }
    }
  }

  #deleteChunksBefore(series: SeriesState, cutoff: number): void {
    const straddling = windowStart(cutoff);
    this.#sql.deleteChunksBefore.run(series.id, straddling);
    const data = this.#sql.selectChunk.get(series.id, straddling);
    if (data) this.#putChunk(series.id, straddling, sliceFrom(decodeChunk(data), cutoff));
  }

  async deleteDevice(device: string): Promise<void> {
    const db = this.#open();
    const series = this.#seriesByDevice.get(device);
    if (!series) return;
    try {
      db.transaction(() => {
        for (const bucket of series.hotBuckets) this.#sql.deleteHot.run(bucket, series.id);
        this.#sql.deleteChunksOfSeries.run(series.id);
        this.#sql.deleteSeries.run(series.id);
      })();
    } catch (error) {
      throw classify(error);
    }
    this.#seriesByDevice.delete(device);
    this.#due.delete(series);
  }

  /** Bytes of the database file and its write-ahead log; also works after close(). */
  async sizeOnDisk(): Promise<number | null> {
    let bytes = 0;
    for (const file of [this.file, `${this.file}-wal`]) {
      try {
        bytes += statSync(file).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return bytes;
  }

  /** Counts hot and sealed readings (scans the tables). */
  async stats(): Promise<SqliteTelemetryStats> {
    const db = this.#open();
    let hotReadings = 0;
    for (const data of db.prepare('SELECT data FROM hot').pluck().iterate() as Iterable<Buffer>) {
      hotReadings += chunkLength(data);
    }
    const [chunks, sealedReadings] = db
      .prepare('SELECT COUNT(*), TOTAL(readings) FROM chunk')
      .raw()
      .get() as [number, number];
    return { series: this.#seriesByDevice.size, hotReadings, chunks, sealedReadings };
  }

  /** Stops background work, checkpoints the write-ahead log into the database file and closes it. */
  async close(): Promise<void> {
    const db = this.#db;
    if (!db) return;
    if (this.#maintenanceTimer) clearInterval(this.#maintenanceTimer);
    if (this.#backgroundStep) clearImmediate(this.#backgroundStep);
    this.#maintenanceTimer = null;
    this.#backgroundStep = null;
    this.#db = null;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  }
}

function isStrictlyAscending(readings: readonly Reading[]): boolean {
  for (let i = 1; i < readings.length; i++) if (readings[i].ts <= readings[i - 1].ts) return false;
  return true;
}

interface WindowBuckets {
  window: number;
  /** The series' hot buckets inside the window, ascending. */
  buckets: number[];
}

/** The series' windows with hot rows that start before `cutoff`, oldest first. */
function sealableWindows(series: SeriesState, cutoff: number): WindowBuckets[] {
  const byWindow = new Map<number, number[]>();
  for (const bucket of series.hotBuckets) {
    const window = windowStart(bucket * BUCKET_MS);
    if (window >= cutoff) continue;
    const list = byWindow.get(window);
    if (list) list.push(bucket);
    else byWindow.set(window, [bucket]);
  }
  return [...byWindow]
    .sort(([a], [b]) => a - b)
    .map(([window, buckets]) => ({ window, buckets: buckets.sort(ascending) }));
}
