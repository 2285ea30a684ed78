import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetryable, StoreRequestError, StoreUnavailableError } from '../../store/telemetry/errors.js';
import { INFLUX_RETENTION_POLICY, InfluxTelemetryStore } from '../../store/telemetry/influx.js';
import { type RunningInfluxd, startInfluxd } from '../support/influxd.js';
import { telemetryStoreContract } from './telemetry-contract.js';

const DAY = 86_400_000;

// One server for the whole file; each test gets a database of its own. Without influxd this fails
// with the install hint (CI installs it), rather than skipping.
let influxd: RunningInfluxd;
let databases = 0;

beforeAll(async () => {
  influxd = await startInfluxd();
});

afterAll(async () => {
  await influxd?.stop();
});

/** Runs InfluxQL directly against the server, bypassing the store. */
async function influxql(
  q: string,
  db?: string,
): Promise<{ series?: { values?: unknown[][] }[]; error?: string }[]> {
  const body = new URLSearchParams({ q, ...(db ? { db } : {}) });
  const response = await fetch(`${influxd.url}/query`, { method: 'POST', body });
  return ((await response.json()) as { results: { series?: { values?: unknown[][] }[] }[] }).results;
}

function newDatabase(): string {
  return `forewarn_test_${process.pid}_${++databases}`;
}

telemetryStoreContract(
  'InfluxDB',
  async () => {
    const database = newDatabase();
    const store = new InfluxTelemetryStore({ url: `${influxd.url}/${database}`, retentionDays: 30 });
    await store.open();
    return {
      store,
      cleanup: async () => {
        await store.close();
        await influxql(`DROP DATABASE "${database}"`);
      },
    };
  },
  { countsEarlierDuplicates: false },
);

describe('InfluxDB telemetry store', () => {
  it('creates the database with a default retention policy of retentionDays, and adjusts it', async () => {
    const database = newDatabase();
    const policies = async () =>
      (await influxql(`SHOW RETENTION POLICIES ON "${database}"`))[0].series?.[0]?.values?.filter(
        (row) => row[0] === INFLUX_RETENTION_POLICY,
      );
    await new InfluxTelemetryStore({ url: `${influxd.url}/${database}`, retentionDays: 30 }).open();
    expect(await policies()).toEqual([[INFLUX_RETENTION_POLICY, '720h0m0s', '24h0m0s', 1, true]]);
    await new InfluxTelemetryStore({ url: `${influxd.url}/${database}`, retentionDays: 1 }).open();
    expect(await policies()).toEqual([[INFLUX_RETENTION_POLICY, '24h0m0s', '1h0m0s', 1, true]]);
    await influxql(`DROP DATABASE "${database}"`);
  });

  it('leaves out readings already past retention and counts them as neither stored nor duplicate', async () => {
    const database = newDatabase();
    const store = new InfluxTelemetryStore({ url: `${influxd.url}/${database}`, retentionDays: 2 });
    await store.open();
    const now = Date.now();
    const old = { device: 'dev-old', ts: now - 3 * DAY, metrics: { v: 1 } };
    const fresh = { device: 'dev-old', ts: now - DAY, metrics: { v: 2 } };
    expect(await store.write([old, fresh])).toEqual({ stored: 1, duplicates: 0 });
    expect(await store.query({ device: 'dev-old', from: now - 4 * DAY, to: now, limit: 10 })).toEqual([
      { ts: fresh.ts, values: { v: 2 } },
    ]);
    await influxql(`DROP DATABASE "${database}"`);
  });

  it('says a server that cannot be reached is worth retrying', async () => {
    // Port 9 (discard) on loopback: nothing listens there in a test environment.
    const store = new InfluxTelemetryStore({ url: 'http://127.0.0.1:9/forewarn', retentionDays: 30 });
    const failure = await store.open().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(isRetryable(failure)).toBe(true);
    expect(String(failure)).toMatch(/unavailable.*can be retried/);
  });

  it('says a request the server refuses is not worth retrying', async () => {
    const database = newDatabase();
    const store = new InfluxTelemetryStore({ url: `${influxd.url}/${database}`, retentionDays: 30 });
    await store.open();
    const reading = { device: 'dev-refused', ts: Date.now(), metrics: { v: 1 } };
    await influxql(`DROP DATABASE "${database}"`);
    const failure = await store.write([reading]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreRequestError);
    expect(isRetryable(failure)).toBe(false);
    expect(String(failure)).toMatch(/database not found/);
    // A metric InfluxDB cannot hold is refused before anything is sent.
    await expect(store.write([{ ...reading, metrics: { time: 1 } }])).rejects.toThrow(/metric named 'time'/);
  });

  it('tells how to install influxd when it is missing', async () => {
    await expect(startInfluxd({ binary: '/nonexistent/influxd' })).rejects.toThrow(
      /apt-get install influxdb/,
    );
  });

  it('wants the database as the path of its URL', () => {
    expect(() => new InfluxTelemetryStore({ url: 'http://127.0.0.1:8086', retentionDays: 30 })).toThrow(
      /path is the database name/,
    );
    expect(() => new InfluxTelemetryStore({ url: 'not a url', retentionDays: 30 })).toThrow(/not a URL/);
  });
});
