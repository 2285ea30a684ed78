/** A real InfluxDB for the benchmarks, started the way the integration tests start theirs. */
import { existsSync } from 'node:fs';
import { INFLUXD, startInfluxd } from '../test/support/influxd.js';
import type { ProcessGroup } from './processes.js';

/** A running influxd; `url` includes the database, as FOREWARN_INFLUX_URL wants it. */
export interface RunningInflux {
  url: string;
  stop(): Promise<void>;
}

/** Why InfluxDB benchmarks cannot run here, or null when they can. */
export function influxUnavailable(): string | null {
  return existsSync(INFLUXD) ? null : `${INFLUXD} is not installed (apt-get install influxdb)`;
}

/** Starts influxd on free ports with a fresh data directory; the group stops it if the benchmark does not. */
export async function startInflux(group: ProcessGroup, database: string): Promise<RunningInflux> {
  const influx = await startInfluxd();
  return { url: `${influx.url}/${database}`, stop: group.adopt(() => influx.stop()) };
}
