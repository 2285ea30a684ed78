/**
 * How big each benchmark runs. `full` is the size the targets are stated at; `quick` keeps the shape at CI size
 * (about a minute or two); `smoke` only proves that every benchmark still runs and writes its JSON.
 * Every load is bounded twice: by a count and by a duration, whichever ends it first.
 */

export type Mode = 'smoke' | 'quick' | 'full';

export interface Scale {
  mode: Mode;
  /**
   * Run the server benchmarks (ingest, latency) on InfluxDB as well as on SQLite. The smoke run leaves it to the
   * store benchmark to exercise InfluxDB, since every influxd start costs seconds.
   */
  influxServers: boolean;
  ingest: {
    /** Concurrent device connections, one phase each. */
    connections: number[];
    /** Per phase: the time bound and the count bound (messages) for single readings and for arrays. */
    seconds: number;
    singleMessages: number;
    arrayMessages: number;
    /** Readings per array message. */
    arrayReadings: number;
    /** QoS 1 messages in flight per connection, for single readings and for arrays. */
    singleWindow: number;
    arrayWindow: number;
  };
  latency: {
    /** Readings per second, each its own QoS 1 message. */
    rate: number;
    devices: number;
    seconds: number;
    /** When into the run the first step fault is injected… */
    faultAfterSeconds: number;
    /** …and how many, each on its own device, spread over the rest of the run. */
    faults: number;
    /** A fault without a ticket after this long counts as not detected. */
    ticketTimeoutSeconds: number;
  };
  store: {
    devices: number;
    /** Readings per device: 8,640 is 24 h at 10 s. */
    readingsPerDevice: number;
    /** Readings per write, as ingest's group commit makes them. */
    batch: number;
    queries: number;
  };
  rules: {
    /** Devices the engine holds state for (the memory figure). */
    devices: number;
    /** Devices taken through warm-up and timed (the first of the above). */
    timedDevices: number;
    /** Timed readings per device at 10 s; 120 cover one 20-minute bucket, so bucket work is included in its share. */
    timedReadings: number;
  };
  connections: {
    count: number;
    /** Connections being opened at any moment. */
    concurrency: number;
  };
  /** The `forewarn simulate` options of the fleet scored. */
  quality: {
    devices: number;
    days: number;
    seed: number;
    /** Reporting interval, simulated seconds. */
    intervalSeconds: number;
    /** Share of devices that get a fault. */
    faulty: number;
  };
}

const FULL: Scale = {
  mode: 'full',
  influxServers: true,
  ingest: {
    connections: [100, 1000],
    seconds: 20,
    singleMessages: 2_000_000,
    arrayMessages: 100_000,
    arrayReadings: 100,
    singleWindow: 16,
    arrayWindow: 2,
  },
  latency: {
    rate: 10_000,
    devices: 1000,
    seconds: 30,
    faultAfterSeconds: 5,
    faults: 20,
    ticketTimeoutSeconds: 15,
  },
  store: { devices: 1000, readingsPerDevice: 8640, batch: 5000, queries: 200 },
  rules: { devices: 100_000, timedDevices: 100_000, timedReadings: 120 },
  connections: { count: 10_000, concurrency: 200 },
  quality: { devices: 500, days: 60, seed: 7, intervalSeconds: 60, faulty: 0.1 },
};

const QUICK: Scale = {
  mode: 'quick',
  influxServers: true,
  ingest: { ...FULL.ingest, seconds: 3, singleMessages: 300_000, arrayMessages: 10_000 },
  latency: {
    ...FULL.latency,
    devices: 200,
    seconds: 8,
    faultAfterSeconds: 2,
    faults: 5,
    ticketTimeoutSeconds: 5,
  },
  store: { devices: 100, readingsPerDevice: 8640, batch: 5000, queries: 100 },
  rules: { devices: 100_000, timedDevices: 10_000, timedReadings: 120 },
  connections: { count: 1000, concurrency: 200 },
  quality: { devices: 40, days: 14, seed: 7, intervalSeconds: 60, faulty: 0.3 },
};

const SMOKE: Scale = {
  mode: 'smoke',
  influxServers: false,
  ingest: {
    connections: [10],
    seconds: 1,
    singleMessages: 5000,
    arrayMessages: 200,
    arrayReadings: 100,
    singleWindow: 8,
    arrayWindow: 2,
  },
  latency: { rate: 500, devices: 10, seconds: 2, faultAfterSeconds: 0.5, faults: 1, ticketTimeoutSeconds: 3 },
  store: { devices: 10, readingsPerDevice: 500, batch: 1000, queries: 10 },
  rules: { devices: 1000, timedDevices: 200, timedReadings: 20 },
  connections: { count: 50, concurrency: 50 },
  quality: { devices: 5, days: 3, seed: 7, intervalSeconds: 60, faulty: 0.4 },
};

export const SCALES: Record<Mode, Scale> = { smoke: SMOKE, quick: QUICK, full: FULL };
