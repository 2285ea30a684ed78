import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../core/config.js';
import { MODEL_IDS } from '../../core/models.js';
import { type Platform, startPlatform } from '../../core/platform.js';
import { REGIONS } from '../../simulator/climate.js';
import { demoScenario } from '../../simulator/demo-scenario.js';
import { startLiveFleet } from '../../simulator/live.js';
import { provisionDevices } from '../../simulator/provision.js';
import { ApiClient } from '../api-client.js';
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP, configFlags, parseFlags } from '../flags.js';

export const summary =
  'the platform plus a simulated fleet with faults developing within minutes (npm run demo)';

const USAGE = `usage: forewarn demo [--devices N] [--speed S] [--seed S] [configuration]

Starts the platform (embedded store in --data-dir, default ./data) and a simulated fleet that replays
recent history fast: by default 200 devices at 300× (five simulated minutes per second) from 50 hours
ago. Fan failures reach their critical level within about two minutes, an imbalance, a refrigerant leak
and a worn bearing within ten; a heat wave crosses the south region. Once the simulated clock reaches
now it runs in real time. Prints the URLs, the admin token and a summary every 5 s; Ctrl-C stops.

  --devices N   simulated devices (default 200)
  --speed S     simulated seconds per second while catching up (default 300)
  --seed S      fleet seed (default 1)

${CONFIG_FLAGS_HELP}`;

const FLAGS = {
  ...CONFIG_FLAGS,
  devices: { type: 'string' },
  speed: { type: 'string' },
  seed: { type: 'string' },
} as const;

const SUMMARY_EVERY_MS = 5000;

export async function run(argv: string[]): Promise<number> {
  let platform: Platform;
  let settings: { devices: number; speed: number; seed: number };
  try {
    const { values } = parseFlags(argv, FLAGS);
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    settings = {
      devices: wholeNumber(values.devices, 'devices', 200),
      speed: wholeNumber(values.speed, 'speed', 300),
      seed: wholeNumber(values.seed, 'seed', 1),
    };
    const source = { env: process.env, ...configFlags(values) };
    // Provisioning needs an admin token this process knows: use the configured one, or make one for this run.
    const configured = loadConfig(source).config.adminToken;
    platform = await startPlatform(
      configured ? {} : { adminToken: randomBytes(24).toString('base64url') },
      source,
    );
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`forewarn demo: ${error.message}`);
      return 2;
    }
    throw error;
  }

  const { config, mqttPort, httpPort } = platform;
  const adminToken = platform.adminToken ?? config.adminToken;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const httpUrl = `http://${host}:${httpPort}`;
  let stored = 0;
  let rejects = 0;
  platform.bus.on('readingsStored', (batch) => {
    stored += batch.readings.length;
  });
  platform.bus.on('readingRejected', () => {
    rejects++;
  });

  const scenario = demoScenario(settings.devices, settings.seed, settings.speed, Date.now());
  const api = new ApiClient(httpUrl, adminToken);
  await registerDemoOutlets(api);
  let fleet: Awaited<ReturnType<typeof startLiveFleet>>;
  try {
    fleet = await startLiveFleet({
      ...scenario.options,
      brokerUrl: `mqtt://${host}:${mqttPort}`,
      credentials: (devices) => provisionDevices(devices, api, { customer: 'Demo fleet' }),
    });
  } catch (error) {
    await platform.stop();
    throw error;
  }
  const machineFaults = fleet.plan.faults.filter((fault) => fault.category === 'machine').length;
  console.log(`MQTT        mqtt://${host}:${mqttPort}`);
  console.log(`HTTP API    ${httpUrl}/api   (health: ${httpUrl}/api/health)`);
  console.log(`dashboard   ${httpUrl}/dashboard/#token=${encodeURIComponent(adminToken ?? '')}`);
  console.log(`admin token ${adminToken}`);
  console.log(
    `fleet       ${fleet.plan.devices.length} devices from ${new Date(fleet.plan.start).toISOString()} at ${settings.speed}×, ` +
      `real time in ${Math.round(scenario.catchUpMs / 60_000)} min; ${fleet.plan.faults.length} faults planned. Ctrl-C stops.`,
  );

  let lastStored = 0;
  let lastAt = Date.now();
  const report = setInterval(() => {
    const now = Date.now();
    const rate = ((stored - lastStored) * 1000) / Math.max(1, now - lastAt);
    lastStored = stored;
    lastAt = now;
    const s = fleet.stats();
    console.log(
      `${new Date(s.simulatedTime).toISOString().slice(0, 16)}Z${s.caughtUp ? ' live' : ''}  ` +
        `online ${platform.registry.onlineCount}/${s.devices}  ${Math.round(rate).toLocaleString('en')} readings/s stored  ` +
        `rejects ${rejects}  failed ${s.failures.length}/${machineFaults} machine faults`,
    );
  }, SUMMARY_EVERY_MS);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(report);
  console.log('stopping…');
  await fleet.stop();
  await platform.stop();
  return 0;
}

function wholeNumber(text: unknown, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError([`--${flag}: '${String(text)}' must be a whole number ≥ 1`]);
  return value;
}

/** One service outlet per simulated region, skilled on every model, so proactive tickets get dispatched. */
async function registerDemoOutlets(api: ApiClient): Promise<void> {
  for (const region of REGIONS) {
    const outlet = {
      id: `outlet-${region.id}`,
      name: `Service outlet ${region.id}`,
      lat: region.lat,
      lon: region.lon,
    };
    const res = await api.request<{ error?: string }>('POST', '/api/outlets', {
      ...outlet,
      capacity: 4,
      skills: MODEL_IDS,
      rating: 4,
    });
    // 409: registered by an earlier demo run on the same data directory.
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`registering ${outlet.id} failed: ${res.body?.error}`);
  }
}
