import { ConfigError } from '../../core/config.js';
import { startPlatform } from '../../core/platform.js';
import { RulesConfigError } from '../../rules/config.js';
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP, configFlags, parseFlags } from '../flags.js';

export const summary = 'run the platform: MQTT broker, ingest, rules, HTTP API (npm start)';

export async function run(argv: string[]): Promise<number> {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  try {
    const { values } = parseFlags(argv, CONFIG_FLAGS);
    if (values.help) {
      console.log(`usage: forewarn serve [options]\n\n${CONFIG_FLAGS_HELP}`);
      return 0;
    }
    platform = await startPlatform({}, { env: process.env, ...configFlags(values) });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof RulesConfigError) {
      console.error(`forewarn: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const { config, mqttPort, httpPort, adminToken } = platform;
  console.log(`MQTT     mqtt://${config.host}:${mqttPort}`);
  console.log(`HTTP API http://${config.host}:${httpPort}/api  (health: /api/health, metrics: /metrics)`);
  if (adminToken && !config.adminToken) console.log(`admin token (shown once): ${adminToken}`);

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      platform.log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  await platform.stop();
  return 0;
}
