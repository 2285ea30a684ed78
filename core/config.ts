import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ticketsConfigSchema } from '../tickets/config.js';

const port = z.number().int().min(0).max(65535);
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The one configuration schema: file, environment and flags all map onto it. */
export const configSchema = z.strictObject({
  /** Listen address for every server. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Where the embedded stores keep their files. */
  dataDir: z.string().min(1).default('./data'),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Always accepted as an admin Bearer token on the HTTP API. */
  adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
  mqtt: z
    .strictObject({
      port: port.default(1883),
      /** Optional MQTT over TLS listener; needs both files. */
      tls: z
        .strictObject({ port: port.default(8883), certFile: z.string().min(1), keyFile: z.string().min(1) })
        .optional(),
      /** Serve MQTT over WebSocket on the HTTP server at /mqtt. */
      websocket: z.boolean().default(true),
    })
    .prefault({}),
  http: z.strictObject({ port: port.default(8080) }).prefault({}),
  store: z
    .strictObject({
      kind: z.enum(['sqlite', 'influx']).default('sqlite'),
      /** InfluxDB 1.x URL including the database, e.g. http://127.0.0.1:8086/forewarn. */
      influxUrl: z.url().default('http://127.0.0.1:8086/forewarn'),
      /** Telemetry older than this is deleted. */
      retentionDays: z.number().int().min(1).default(30),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** A batch is committed when it holds this many readings… */
      batchMaxReadings: z.number().int().min(1).default(5000),
      /** …or this long after its first reading arrived. */
      batchWindowMs: z.number().int().min(0).default(10),
      /** Readings held in memory while the store is slow or down; past it, devices wait for their PUBACK. */
      maxBufferedReadings: z.number().int().min(1).default(200_000),
      maxPayloadBytes: z
        .number()
        .int()
        .min(1)
        .default(256 * 1024),
      maxReadingsPerMessage: z.number().int().min(1).default(1000),
      /** Readings further in the future than this are refused (device clock wrong). */
      maxFutureSkewMs: z
        .number()
        .int()
        .min(0)
        .default(5 * 60_000),
      /** How many refused messages `GET /api/ingest/rejects` keeps. */
      rejectLogSize: z.number().int().min(1).default(1000),
      /** Most MQTT messages per second one device may send; 0 turns the limit off. */
      deviceRateLimit: z.number().min(0).default(200),
    })
    .prefault({}),
  /** SLA targets, the SLA check schedule and webhook targets. */
  tickets: ticketsConfigSchema,
  rules: z
    .strictObject({
      /** JSON file with per-model detector settings over the built-in defaults. */
      file: z.string().min(1).optional(),
      /** When the offline check runs (node-cron syntax). */
      offlineCheckCron: z.string().default('* * * * *'),
      /** How often the detector state is saved; it is saved on shutdown anyway. */
      snapshotIntervalMs: z
        .number()
        .int()
        .min(1000)
        .default(5 * 60_000),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Thrown when configuration is invalid; `problems` holds every `path: message` at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variable → config path and how to read its text. */
const ENV_MAP: Record<string, { path: string[]; parse: (text: string) => unknown }> = {
  FOREWARN_MQTT_PORT: { path: ['mqtt', 'port'], parse: Number },
  FOREWARN_HTTP_PORT: { path: ['http', 'port'], parse: Number },
  FOREWARN_HOST: { path: ['host'], parse: String },
  FOREWARN_DATA_DIR: { path: ['dataDir'], parse: String },
  FOREWARN_STORE: { path: ['store', 'kind'], parse: String },
  FOREWARN_INFLUX_URL: { path: ['store', 'influxUrl'], parse: String },
  FOREWARN_RETENTION_DAYS: { path: ['store', 'retentionDays'], parse: Number },
  FOREWARN_ADMIN_TOKEN: { path: ['adminToken'], parse: String },
  FOREWARN_LOG_LEVEL: { path: ['logLevel'], parse: String },
  FOREWARN_DEVICE_RATE_LIMIT: { path: ['ingest', 'deviceRateLimit'], parse: Number },
  FOREWARN_RULES_FILE: { path: ['rules', 'file'], parse: String },
  FOREWARN_MQTT_TLS_PORT: { path: ['mqtt', 'tls', 'port'], parse: Number },
  FOREWARN_MQTT_TLS_CERT: { path: ['mqtt', 'tls', 'certFile'], parse: String },
  FOREWARN_MQTT_TLS_KEY: { path: ['mqtt', 'tls', 'keyFile'], parse: String },
};

/** Variables that are ours but not configuration (read by the CLI itself). */
const NON_CONFIG_ENV = new Set(['FOREWARN_CONFIG', 'FOREWARN_API_URL']);

/** CLI flag → config path. */
export const FLAG_MAP: Record<string, { path: string[]; parse: (text: string) => unknown }> = {
  'mqtt-port': ENV_MAP.FOREWARN_MQTT_PORT,
  'http-port': ENV_MAP.FOREWARN_HTTP_PORT,
  host: ENV_MAP.FOREWARN_HOST,
  'data-dir': ENV_MAP.FOREWARN_DATA_DIR,
  store: ENV_MAP.FOREWARN_STORE,
  'influx-url': ENV_MAP.FOREWARN_INFLUX_URL,
  'log-level': ENV_MAP.FOREWARN_LOG_LEVEL,
  'retention-days': ENV_MAP.FOREWARN_RETENTION_DAYS,
  'device-rate-limit': ENV_MAP.FOREWARN_DEVICE_RATE_LIMIT,
  'rules-file': ENV_MAP.FOREWARN_RULES_FILE,
};

type Tree = Record<string, unknown>;

function setPath(target: Tree, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]] = value;
}

export interface LoadConfigOptions {
  /** Path to a JSON config file; without it `forewarn.config.json` in the working directory is read if present. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Parsed CLI flags by flag name (see FLAG_MAP). */
  flags?: Record<string, string | undefined>;
  /** Values that override everything (tests and embedding). */
  overrides?: ConfigInput;
}

export interface LoadedConfig {
  config: Config;
  /** Things worth a warning that do not stop start-up, such as unknown FOREWARN_* variables. */
  warnings: string[];
}

/** Merges file, environment, flags and overrides (later wins) and validates the result, reporting every problem at once. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const problems: string[] = [];
  let merged: Tree = {};

  const file = options.file ?? (existsSync('forewarn.config.json') ? 'forewarn.config.json' : undefined);
  if (file) {
    try {
      merged = JSON.parse(readFileSync(file, 'utf8')) as Tree;
    } catch (error) {
      throw new ConfigError([`${file}: ${(error as Error).message}`]);
    }
  }

  for (const [name, text] of Object.entries(env)) {
    // An empty variable counts as unset, as shells and compose files often leave them.
    if (!name.startsWith('FOREWARN_') || text === undefined || text === '') continue;
    const entry = ENV_MAP[name];
    if (entry) setPath(merged, entry.path, entry.parse(text));
    else if (!NON_CONFIG_ENV.has(name)) warnings.push(`unknown environment variable ${name} is ignored`);
  }
  for (const [flag, text] of Object.entries(options.flags ?? {})) {
    if (text === undefined) continue;
    const entry = FLAG_MAP[flag];
    if (entry) setPath(merged, entry.path, entry.parse(text));
  }
  if (options.overrides) merged = deepMerge(merged, options.overrides as Tree);

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  return { config: parsed.data, warnings };
}

function deepMerge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? deepMerge(current as Tree, value as Tree)
        : value;
  }
  return out;
}
