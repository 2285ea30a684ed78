import { InfluxDB, type IPoint, type IPoolOptions, type IResponse } from 'influx';
import { RequestError, ServiceNotAvailableError } from 'influx/lib/src/pool.js';
import type { Reading } from '../../core/types.js';
import {
  assertQueryable,
  assertStorable,
  StoreRequestError,
  StoreUnavailableError,
  type TelemetryStoreError,
} from './errors.js';
import type { Aggregate, RangeQuery, SeriesPoint, TelemetryStore, WriteResult } from './port.js';

export interface InfluxTelemetryStoreOptions {
  /** Server and database, e.g. http://127.0.0.1:8086/forewarn; credentials may come as user:password@. */
  url: string;
  /** The retention policy open() sets: InfluxDB drops data older than this many days. */
  retentionDays: number;
  /** Longest wait for one HTTP request. */
  requestTimeoutMs?: number;
  /** Wall clock in epoch ms, to leave out readings already past retention; tests pass a controlled one. */
  clock?: () => number;
}

export const INFLUX_MEASUREMENT = 'telemetry';
export const INFLUX_RETENTION_POLICY = 'forewarn_retention';
const DEVICE_TAG = 'device';
const DAY_MS = 86_400_000;
/** Points per write request (InfluxDB suggests 5,000–10,000). */
const POINTS_PER_REQUEST = 10_000;
/** Devices named in one `latest` query, to keep each query short. */
const DEVICES_PER_QUERY = 200;
/** Field keys InfluxDB refuses (`time`) or that would collide with the device tag in queries. */
const RESERVED_FIELDS = new Set(['time', DEVICE_TAG]);
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** Never takes the only host out of rotation: the caller's own retry loop decides when to try again. */
const NO_BACKOFF: NonNullable<IPoolOptions['backoff']> = {
  getDelay: () => 0,
  next: () => NO_BACKOFF,
  reset: () => NO_BACKOFF,
};

/** An InfluxQL identifier in double quotes. */
function ident(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** An InfluxQL string literal in single quotes. */
function literal(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An InfluxQL epoch-ms time literal; timestamps are whole ms, so rounding a bound up changes nothing. */
function msLiteral(ms: number): string {
  return `${Math.ceil(ms)}ms`;
}

/**
 * Telemetry in InfluxDB 1.x: measurement `telemetry`, tag `device`, one float field per metric, ms
 * precision, in the database named by the URL under the retention policy `forewarn_retention`. A point
 * with the same device and time as a stored one overwrites it field by field, so a redelivered reading
 * is still stored once; only duplicates inside one batch are counted.
 */
export class InfluxTelemetryStore implements TelemetryStore {
  readonly kind = 'influx';
  /** Each write is an HTTP round trip and a WAL append on the server: a few in flight keep both busy. */
  readonly writeConcurrency = 4;
  readonly #client: InfluxDB;
  readonly #server: string;
  readonly #database: string;
  readonly #retentionDays: number;
  readonly #clock: () => number;
  readonly #measurement: string;
  /** Metric names already checked, so that they are not checked again in every batch. */
  readonly #acceptedMetrics = new Set<string>();
  #opened = false;

  constructor(options: InfluxTelemetryStoreOptions) {
    if (!(options.retentionDays > 0)) throw new RangeError('retentionDays must be a positive number of days');
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new StoreRequestError(
        `'${options.url}' is not a URL; expected e.g. http://127.0.0.1:8086/forewarn`,
      );
    }
    const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
    if (
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      database === '' ||
      database.includes('/')
    ) {
      throw new StoreRequestError(
        `'${options.url}' must be an http(s) URL whose path is the database name, e.g. http://127.0.0.1:8086/forewarn`,
      );
    }
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    this.#server = `${url.protocol}//${url.host}`;
    this.#database = database;
    this.#retentionDays = options.retentionDays;
    this.#clock = options.clock ?? Date.now;
    this.#measurement = `${ident(database)}.${ident(INFLUX_RETENTION_POLICY)}.${ident(INFLUX_MEASUREMENT)}`;
    this.#client = new InfluxDB({
      host: url.hostname,
      port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 8086,
      protocol,
      database,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      pool: { maxRetries: 0, requestTimeout: options.requestTimeoutMs ?? 30_000, backoff: NO_BACKOFF },
    });
  }

  /** Creates the database and makes `forewarn_retention` (retentionDays long) its default policy. */
  async open(): Promise<void> {
    const db = ident(this.#database);
    await this.#query(`CREATE DATABASE ${db}`, 'create the database');
    const [policies] = await this.#query(`SHOW RETENTION POLICIES ON ${db}`, 'list retention policies');
    const exists = (policies.series?.[0]?.values ?? []).some((row) => row[0] === INFLUX_RETENTION_POLICY);
    const hours = Math.max(1, Math.round(this.#retentionDays * 24));
    // Shard groups no longer than the policy, so that shortening it later is allowed.
    const shard = hours < 48 ? '1h' : '1d';
    const policy = ident(INFLUX_RETENTION_POLICY);
    await this.#query(
      exists
        ? `ALTER RETENTION POLICY ${policy} ON ${db} DURATION ${hours}h SHARD DURATION ${shard} DEFAULT`
        : `CREATE RETENTION POLICY ${policy} ON ${db} DURATION ${hours}h REPLICATION 1 SHARD DURATION ${shard} DEFAULT`,
      'set the retention policy',
    );
    this.#opened = true;
  }

  #requireOpen(): void {
    if (!this.#opened) throw new StoreRequestError('the InfluxDB telemetry store is not open');
  }

  /**
   * Readings already older than the retention period are left out (InfluxDB would refuse them) and count as
   * neither stored nor duplicate.
   */
  async write(readings: readonly Reading[]): Promise<WriteResult> {
    this.#requireOpen();
    assertStorable(readings, { metrics: this.#acceptedMetrics });
    const oldest = this.#clock() - this.#retentionDays * DAY_MS;
    const seen = new Set<string>();
    const points: IPoint[] = [];
    let duplicates = 0;
    for (const { device, ts, metrics } of readings) {
      for (const name in metrics) {
        if (this.#acceptedMetrics.has(name)) continue;
        if (RESERVED_FIELDS.has(name))
          throw new StoreRequestError(`InfluxDB cannot store a metric named '${name}'`);
        this.#acceptedMetrics.add(name);
      }
      if (ts < oldest) continue;
      const key = `${device}\n${ts}`;
      if (seen.has(key)) {
        duplicates++;
        continue;
      }
      seen.add(key);
      points.push({
        measurement: INFLUX_MEASUREMENT,
        tags: { [DEVICE_TAG]: device },
        fields: metrics,
        timestamp: ts,
      });
    }
    let dropped = 0;
    for (let start = 0; start < points.length; start += POINTS_PER_REQUEST) {
      try {
        await this.#client.writePoints(points.slice(start, start + POINTS_PER_REQUEST), {
          database: this.#database,
          retentionPolicy: INFLUX_RETENTION_POLICY,
          precision: 'ms',
        });
      } catch (error) {
        // Points that crossed the retention boundary while in flight; the rest of the request is stored.
        const expired = /partial write: points beyond retention policy dropped=(\d+)"/.exec(String(error));
        if (!expired) throw this.#classify(error, 'write');
        dropped += Number(expired[1]);
      }
    }
    return { stored: points.length - dropped, duplicates };
  }

  async query(query: RangeQuery): Promise<SeriesPoint[]> {
    this.#requireOpen();
    const { device, from, to, metrics, limit, step } = query;
    assertQueryable(query);
    if (from >= to || limit === 0 || metrics?.length === 0) return [];
    const where = `${ident(DEVICE_TAG)}::tag = ${literal(device)} AND time >= ${msLiteral(from)} AND time < ${msLiteral(to)}`;
    if (step) return this.#downsample(where, metrics ? [...new Set(metrics)] : null, step, limit);
    const fields = metrics ? [...new Set(metrics)].map(ident).join(', ') : '*::field';
    const [result] = await this.#query(
      `SELECT ${fields} FROM ${this.#measurement} WHERE ${where} ORDER BY time ASC LIMIT ${limit}`,
      'query',
    );
    const points: SeriesPoint[] = [];
    for (const series of result.series ?? []) {
      for (const row of series.values ?? []) {
        const values = rowValues(series.columns, row);
        if (values) points.push({ ts: row[0] as number, values });
      }
    }
    return points;
  }

  /**
   * One statement per field, sent together: InfluxDB 1.x applies LIMIT to each aggregated field on its own,
   * so a single multi-field statement with LIMIT would drop values from the buckets it returns.
   */
  async #downsample(
    where: string,
    metrics: string[] | null,
    step: { ms: number; aggregate: Aggregate },
    limit: number,
  ): Promise<SeriesPoint[]> {
    const fields = metrics ?? (await this.#fieldKeys());
    if (fields.length === 0) return [];
    const statements = fields.map(
      (field) =>
        `SELECT ${step.aggregate}(${ident(field)}) AS ${ident(field)} FROM ${this.#measurement} WHERE ${where} ` +
        `GROUP BY time(${step.ms}ms) fill(none) LIMIT ${limit}`,
    );
    const buckets = new Map<number, Record<string, number>>();
    for (const result of await this.#query(statements.join('; '), 'query')) {
      for (const series of result.series ?? []) {
        for (const row of series.values ?? []) {
          const values = rowValues(series.columns, row);
          if (!values) continue;
          const ts = row[0] as number;
          buckets.set(ts, Object.assign(buckets.get(ts) ?? {}, values));
        }
      }
    }
    return [...buckets]
      .sort(([a], [b]) => a - b)
      .slice(0, limit)
      .map(([ts, values]) => ({ ts, values }));
  }

  async #fieldKeys(): Promise<string[]> {
    const [result] = await this.#query(
      `SHOW FIELD KEYS ON ${ident(this.#database)} FROM ${ident(INFLUX_RETENTION_POLICY)}.${ident(INFLUX_MEASUREMENT)}`,
      'list fields',
    );
    return (result.series?.[0]?.values ?? []).map((row) => String(row[0]));
  }

  async latest(devices?: readonly string[]): Promise<Reading[]> {
    this.#requireOpen();
    const groups: (string[] | null)[] = [];
    if (devices) {
      const unique = [...new Set(devices)];
      for (let start = 0; start < unique.length; start += DEVICES_PER_QUERY) {
        groups.push(unique.slice(start, start + DEVICES_PER_QUERY));
      }
    } else {
      groups.push(null);
    }
    const readings: Reading[] = [];
    for (const group of groups) {
      const where = group
        ? ` WHERE ${group.map((device) => `${ident(DEVICE_TAG)}::tag = ${literal(device)}`).join(' OR ')}`
        : '';
      const [result] = await this.#query(
        `SELECT *::field FROM ${this.#measurement}${where} GROUP BY ${ident(DEVICE_TAG)} ORDER BY time DESC LIMIT 1`,
        'query',
      );
      for (const series of result.series ?? []) {
        const row = series.values?.[0];
        const device = series.tags?.[DEVICE_TAG];
        const metrics = row && rowValues(series.columns, row);
        if (device && metrics) readings.push({ device, ts: row[0] as number, metrics });
      }
    }
    return readings.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  }

  async deleteBefore(cutoff: number): Promise<void> {
    this.#requireOpen();
    if (!Number.isFinite(cutoff)) throw new StoreRequestError('cutoff must be epoch ms');
    await this.#query(`DELETE FROM ${ident(INFLUX_MEASUREMENT)} WHERE time < ${msLiteral(cutoff)}`, 'delete');
  }

  async deleteDevice(device: string): Promise<void> {
    this.#requireOpen();
    await this.#query(
      `DROP SERIES FROM ${ident(INFLUX_MEASUREMENT)} WHERE ${ident(DEVICE_TAG)} = ${literal(device)}`,
      'delete',
    );
  }

  /** InfluxDB does not report its size per database over the query API. */
  async sizeOnDisk(): Promise<number | null> {
    return null;
  }

  async close(): Promise<void> {
    this.#opened = false;
  }

  /** Runs InfluxQL (POST, so long statements fit) and turns statement errors into store errors. */
  async #query(text: string, action: string): Promise<NonNullable<IResponse['results']>> {
    let response: IResponse;
    try {
      response = await this.#client.queryRaw(text, {
        database: this.#database,
        precision: 'ms',
        method: 'POST',
      });
    } catch (error) {
      throw this.#classify(error, action);
    }
    for (const result of response.results) {
      if (result.error) throw new StoreRequestError(`InfluxDB could not ${action}: ${result.error}`);
    }
    return response.results;
  }

  /** Decides whether a failed request may succeed later: the server down or overloaded, versus refused. */
  #classify(error: unknown, action: string): TelemetryStoreError {
    const detail = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    const status = error instanceof RequestError ? error.res.statusCode : undefined;
    const transient =
      error instanceof ServiceNotAvailableError ||
      (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) ||
      status === 408 ||
      status === 429 ||
      // A body that is not JSON comes from something in front of InfluxDB (a proxy's error page).
      error instanceof SyntaxError;
    if (transient) {
      return new StoreUnavailableError(
        `InfluxDB at ${this.#server} is unavailable (${action}: ${detail || code}); the same call can be retried later`,
        { cause: error },
      );
    }
    return new StoreRequestError(`InfluxDB at ${this.#server} refused to ${action}: ${detail}`, {
      cause: error,
    });
  }
}

/** A row's non-null numeric values by column name, or null when it has none. */
function rowValues(columns: readonly string[], row: readonly unknown[]): Record<string, number> | null {
  let values: Record<string, number> | null = null;
  for (let i = 1; i < columns.length; i++) {
    const value = row[i];
    if (typeof value === 'number') {
      values ??= {};
      values[columns[i]] = value;
    }
  }
  return values;
}
