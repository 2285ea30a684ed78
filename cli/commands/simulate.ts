import { chmod, readFile, writeFile } from 'node:fs/promises';
import type { ConfigError } from '../../core/config.js';
import type { FaultKind } from '../../core/models.js';
import { ALL_FAULT_KINDS } from '../../simulator/faults.js';
import { writeFleetFiles } from '../../simulator/file-run.js';
import { startLiveFleet } from '../../simulator/live.js';
import { parseSimulationOptions, type SimulationOptionsInput } from '../../simulator/plan.js';
import { terminalProgressBar } from '../../simulator/progress.js';
import { provisionDevices } from '../../simulator/provision.js';
import { serializeTruth } from '../../simulator/truth.js';
import { ApiClient } from '../api-client.js';
import { parseFlags } from '../flags.js';

export const summary = 'simulate a device fleet: telemetry CSV + ground truth, or live devices over MQTT';

const USAGE = `usage:
  forewarn simulate --devices N --days D --seed S [options] --out FILE.csv [--truth FILE.json]
  forewarn simulate --live --provision [--url URL] [--api URL] [--token T] [options]

fleet (both modes):
  --devices N        devices (default 100)
  --days D           simulated days (default 7); in live mode the span in which faults and heat waves are planned
  --seed S           seed; the same options and seed give byte-identical files (default 1)
  --interval SECONDS reporting interval of every device, simulated seconds (default 10)
  --faulty SHARE     share of devices that get a fault, 0–1 (default 0.1)
  --mix K=W,...      weights of the fault kinds to inject, e.g. bearing_wear=3,fan_failure=1,offline=1
                     (kinds: ${ALL_FAULT_KINDS.join(', ')})
  --prefix P         device ids are P-0001, P-0002, … (default sim)

file mode:
  --out FILE.csv     telemetry: timestamp,device,model,<metrics>; rows in arrival order
  --truth FILE.json  ground truth: devices, faults (onset, failure or end), heat waves
  --start ISO        simulated start (default 2025-06-01T00:00:00Z)
  A progress bar is drawn on stderr when it is a terminal.

live mode (one MQTT connection per device, QoS 1, retained online/offline status):
  --live             connect the fleet to a running platform
  --url URL          MQTT broker (default mqtt://127.0.0.1:1883)
  --api URL          HTTP API (default FOREWARN_API_URL, else http://FOREWARN_HOST:FOREWARN_HTTP_PORT)
  --token T          admin token for provisioning (default FOREWARN_ADMIN_TOKEN)
  --provision        register the devices through the API (existing ones get a new token)
  --credentials FILE device tokens as JSON {"id": "token"}: read them, or with --provision save them there
  --speed S          simulated seconds per second until the clock reaches now, then real time (default 3600)
  --start ISO        simulated start (default: --days before now, so the plan ends in the present;
                     keep it within the platform's retention, 30 days by default)
  --buffer N         readings each device keeps while offline; the oldest go first (default 10000)
  --tick-ms MS       how often each device sends what became due, at least 100 (default 500)
  Prints the fleet's state every 5 s on stderr; Ctrl-C stops (writes --truth first, if given).`;

const FLAGS = {
  devices: { type: 'string' },
  days: { type: 'string' },
  seed: { type: 'string' },
  interval: { type: 'string' },
  start: { type: 'string' },
  faulty: { type: 'string' },
  mix: { type: 'string' },
  prefix: { type: 'string' },
  out: { type: 'string' },
  truth: { type: 'string' },
  live: { type: 'boolean' },
  url: { type: 'string' },
  api: { type: 'string' },
  token: { type: 'string' },
  provision: { type: 'boolean' },
  credentials: { type: 'string' },
  speed: { type: 'string' },
  buffer: { type: 'string' },
  'tick-ms': { type: 'string' },
} as const;

/** Option name in the simulator → the flag a person typed. */
const FLAG_OF: Record<string, string> = {
  devices: '--devices',
  days: '--days',
  seed: '--seed',
  intervalS: '--interval',
  start: '--start',
  faulty: '--faulty',
  faultMix: '--mix',
  idPrefix: '--prefix',
};

type Values = Record<string, string | boolean | undefined>;

export async function run(argv: string[]): Promise<number> {
  let values: Values;
  try {
    values = parseFlags(argv, FLAGS).values;
  } catch (error) {
    return usageError((error as ConfigError).problems.join('; '));
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    return values.live ? await runLive(values) : await runFile(values);
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message);
    throw error;
  }
}

class UsageError extends Error {}

function usageError(message: string): number {
  console.error(`forewarn simulate: ${message}\nRun 'forewarn simulate --help' for the options.`);
  return 2;
}

async function runFile(values: Values): Promise<number> {
  if (typeof values.out !== 'string')
    throw new UsageError('--out FILE.csv is required (or --live for live mode)');
  const options = fleetOptions(values, false);
  const bar = terminalProgressBar(process.stderr);
  const started = Date.now();
  const result = await writeFleetFiles(
    options,
    { csvPath: values.out, truthPath: values.truth as string | undefined },
    (fraction, rows) => bar?.update(fraction, `${rows.toLocaleString('en')} rows`),
  );
  bar?.done();
  const seconds = (Date.now() - started) / 1000;
  const failed = result.truth.faults.filter((fault) => fault.failure !== null).length;
  console.error(
    `wrote ${result.rows.toLocaleString('en')} readings of ${result.devices} devices to ${values.out} in ${seconds.toFixed(1)} s ` +
      `(${Math.round(result.rows / Math.max(seconds, 0.001)).toLocaleString('en')} rows/s); ` +
      `${result.faults} faults (${failed} machine failures), ${result.truth.heatWaves.length} heat waves` +
      (values.truth ? `; truth in ${values.truth}` : ''),
  );
  return 0;
}

async function runLive(values: Values): Promise<number> {
  const options = fleetOptions(values, true);
  const speed = numberFlag(values, 'speed') ?? 3600;
  const brokerUrl = (values.url as string | undefined) ?? 'mqtt://127.0.0.1:1883';
  const credentialsFile = values.credentials as string | undefined;
  if (!values.provision && !credentialsFile) {
    throw new UsageError(
      'live mode needs device tokens: pass --provision (with --token), or --credentials FILE',
    );
  }
  const api = ApiClient.fromEnvironment({
    api: values.api as string | undefined,
    token: values.token as string | undefined,
  });
  if (values.provision && !process.env.FOREWARN_ADMIN_TOKEN && !values.token) {
    throw new UsageError('--provision needs an admin token: --token T or FOREWARN_ADMIN_TOKEN');
  }
  const fleet = await startLiveFleet({
    ...options,
    brokerUrl,
    speed,
    maxBufferedReadings: numberFlag(values, 'buffer'),
    tickMs: numberFlag(values, 'tick-ms'),
    credentials: async (devices) => {
      if (!values.provision) return readCredentials(credentialsFile as string);
      const tokens = await provisionDevices(devices, api);
      if (credentialsFile) {
        await writeFile(credentialsFile, `${JSON.stringify(Object.fromEntries(tokens), null, 2)}\n`, {
          mode: 0o600,
        });
        await chmod(credentialsFile, 0o600);
      }
      return tokens;
    },
  });
  console.error(
    `${fleet.plan.devices.length} devices → ${brokerUrl}, simulated clock from ${new Date(fleet.plan.start).toISOString()} ` +
      `at ${speed}× until it reaches now; ${fleet.plan.faults.length} faults planned. Ctrl-C stops.`,
  );
  const report = setInterval(() => {
    const s = fleet.stats();
    console.error(
      `${new Date(s.simulatedTime).toISOString().slice(0, 19)}Z${s.caughtUp ? ' (real time)' : ''}  ` +
        `online ${s.connected}/${s.devices}  readings ${s.acknowledged}/${s.generated} delivered, ${s.pending} pending, ` +
        `${s.dropped} dropped  failures ${s.failures.length}` +
        (s.authFailures > 0 ? `  refused logins ${s.authFailures}` : ''),
    );
  }, 5000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(report);
  await fleet.stop();
  if (typeof values.truth === 'string') await writeFile(values.truth, serializeTruth(fleet.truth()));
  return 0;
}

function fleetOptions(values: Values, live: boolean): SimulationOptionsInput {
  const input: SimulationOptionsInput = {
    devices: numberFlag(values, 'devices') ?? 100,
    days: numberFlag(values, 'days') ?? 7,
    seed: numberFlag(values, 'seed') ?? 1,
    intervalS: numberFlag(values, 'interval'),
    start: values.start === undefined ? undefined : timeFlag(values.start as string),
    faulty: numberFlag(values, 'faulty'),
    faultMix: values.mix === undefined ? undefined : parseMix(values.mix as string),
    idPrefix: values.prefix as string | undefined,
  };
  try {
    // Live mode fills in its own start later; validate the rest now with the flags' names.
    parseSimulationOptions({ ...input, start: live ? (input.start ?? 0) : input.start });
  } catch (error) {
    let message = (error as Error).message.replace(/^invalid simulation options:\n\s*/, '');
    for (const [option, flag] of Object.entries(FLAG_OF))
      message = message.replaceAll(`${option}:`, `${flag}:`);
    throw new UsageError(message.replace(/\n\s*/g, '; '));
  }
  return input;
}

function numberFlag(values: Values, name: string): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name}: '${String(text)}' is not a number`);
  }
  return value;
}

function timeFlag(text: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms))
    throw new UsageError(`--start: '${text}' is not an ISO-8601 time such as 2025-06-01T00:00:00Z`);
  return ms;
}

function parseMix(text: string): Partial<Record<FaultKind, number>> {
  const mix: Partial<Record<FaultKind, number>> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const [kind, weightText] = part.split('=');
    if (!(ALL_FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`--mix: '${kind}' is not a fault kind (${ALL_FAULT_KINDS.join(', ')})`);
    }
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (!Number.isFinite(weight) || weight < 0)
      throw new UsageError(`--mix: the weight of ${kind} must be a number ≥ 0`);
    mix[kind as FaultKind] = weight;
  }
  return mix;
}

async function readCredentials(file: string): Promise<Map<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--credentials: cannot read ${file}: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--credentials: ${file} must hold a JSON object {"device id": "token"}`);
  }
  return new Map(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
