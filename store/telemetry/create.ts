import type { Config } from '../../core/config.js';
import type { TelemetryStore } from './port.js';
import { SqliteTelemetryStore } from './sqlite.js';

/** The configured telemetry backend; the InfluxDB client is loaded only when it is the one configured. */
export async function createTelemetryStore(
  config: Config,
  onBackgroundError?: (error: unknown) => void,
): Promise<TelemetryStore> {
  const { retentionDays } = config.store;
  if (config.store.kind === 'influx') {
    const { InfluxTelemetryStore } = await import('./influx.js');
    return new InfluxTelemetryStore({ url: config.store.influxUrl, retentionDays });
  }
  return new SqliteTelemetryStore({ dir: config.dataDir, retentionDays, onBackgroundError });
}
