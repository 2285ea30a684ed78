import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError, FLAG_MAP } from '../core/config.js';

/** The configuration flags every platform command takes, plus --config. */
export const CONFIG_FLAGS: NonNullable<ParseArgsConfig['options']> = {
  config: { type: 'string' },
  ...Object.fromEntries(Object.keys(FLAG_MAP).map((flag) => [flag, { type: 'string' as const }])),
};

export const CONFIG_FLAGS_HELP = `configuration (flags override FOREWARN_* variables, which override the config file):
  --config PATH            JSON config file (default ./forewarn.config.json when present)
  --mqtt-port N            MQTT TCP port (FOREWARN_MQTT_PORT, default 1883)
  --http-port N            HTTP API port (FOREWARN_HTTP_PORT, default 8080)
  --host ADDR              listen address (FOREWARN_HOST, default 127.0.0.1)
  --data-dir DIR           embedded store directory (FOREWARN_DATA_DIR, default ./data)
  --store sqlite|influx    telemetry store (FOREWARN_STORE, default sqlite)
  --influx-url URL         InfluxDB 1.x URL with database (FOREWARN_INFLUX_URL)
  --retention-days N       telemetry retention (FOREWARN_RETENTION_DAYS, default 30)
  --log-level LEVEL        trace … fatal, silent (FOREWARN_LOG_LEVEL, default info)
  --device-rate-limit N    MQTT messages/s per device, 0 = off (FOREWARN_DEVICE_RATE_LIMIT, default 200)
  --rules-file PATH        per-model detector settings (FOREWARN_RULES_FILE)`;

/** Parses argv strictly; an unknown flag is a ConfigError naming it. */
export function parseFlags(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean' } },
      allowPositionals: true,
    });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
}

/** The config-related part of parsed flags, for loadConfig. */
export function configFlags(values: Record<string, unknown>): {
  file?: string;
  flags: Record<string, string | undefined>;
} {
  const flags: Record<string, string | undefined> = {};
  for (const flag of Object.keys(FLAG_MAP)) flags[flag] = values[flag] as string | undefined;
  return { file: (values.config as string | undefined) ?? process.env.FOREWARN_CONFIG, flags };
}
