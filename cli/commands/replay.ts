import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { SqliteDeviceStore } from '../../devices/sqlite-store.js';
import {
  defaultRulesConfig,
  loadRulesConfig,
  type RulesConfig,
  RulesConfigError,
} from '../../rules/config.js';
import { replayCsv } from '../../rules/replay.js';
import type { DeviceInfo } from '../../rules/state.js';
import { createTicketService } from '../../tickets/service.js';
import { SqliteTicketStore } from '../../tickets/sqlite-store.js';
import { parseFlags } from '../flags.js';

export const summary = 'backtest the rules on a telemetry CSV: one JSON line per ticket event';

const USAGE = `usage: forewarn replay FILE.csv [options]      (FILE "-" reads stdin)

Runs the same detectors and ticket service as the live platform over the CSV, with the data's own clock,
from a fresh state in memory, and prints one JSON line per ticket event on stdout:
  {"event":"ticket_opened"|"ticket_updated"|"ticket_cleared","at":ISO,"device","model","fault_code",
   "category":"machine"|"data_quality","priority","metric","predicted_failure_at":ISO|null,"ticket":ID}
A summary goes to stderr. Feed the output to \`forewarn score\`.

CSV: header timestamp,device[,model],<metric columns>; timestamp ISO-8601 or epoch ms; an empty cell is a
missing value. Rows are taken in file order (arrival order).

options:
  --model MODEL     model of devices the CSV (and --devices) do not name
  --devices FILE    JSON with the devices' model, region and site: a simulator truth file, or an array of
                    {"id","model"?,"region"?,"lat"?,"lon"?}; lets temperature be compared with regional peers
  --rules FILE      rules configuration (JSON; defaults otherwise)
  --data-dir DIR    keep the tickets in DIR's ticket store and read device models and sites from DIR's
                    device registry; without it nothing is read from or written to any data directory`;

const deviceEntry = z.object({
  id: z.string(),
  model: z.string().optional(),
  region: z.string().nullish(),
  lat: z.number().nullish(),
  lon: z.number().nullish(),
});
const devicesFile = z.union([z.array(deviceEntry), z.object({ devices: z.array(deviceEntry) })]);

function loadDevicesFile(path: string): Map<string, Partial<DeviceInfo>> {
  const parsed = devicesFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const list = Array.isArray(parsed.data) ? parsed.data : parsed.data.devices;
  return new Map(list.map(({ id, ...info }) => [id, info]));
}

async function loadRegistry(dir: string): Promise<Map<string, Partial<DeviceInfo>>> {
  const store = new SqliteDeviceStore(dir);
  await store.open();
  try {
    return new Map((await store.all()).map((d) => [d.id, { model: d.model, lat: d.lat, lon: d.lon }]));
  } finally {
    await store.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    model: { type: 'string' },
    devices: { type: 'string' },
    rules: { type: 'string' },
    'data-dir': { type: 'string' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [file] = positionals;
  if (!file || positionals.length > 1) {
    console.error(`forewarn replay: give exactly one CSV file\n\n${USAGE}`);
    return 2;
  }
  if (file !== '-' && !existsSync(file)) {
    console.error(`forewarn replay: ${file}: no such file`);
    return 2;
  }
  let rules: RulesConfig;
  try {
    rules = typeof values.rules === 'string' ? loadRulesConfig(values.rules) : defaultRulesConfig();
  } catch (error) {
    if (error instanceof RulesConfigError) {
      console.error(`forewarn replay: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const defaultModel = values.model as string | undefined;
  if (defaultModel && !rules.forModel(defaultModel)) {
    console.error(`forewarn replay: --model: unknown model '${defaultModel}'`);
    return 2;
  }
  const dataDir = values['data-dir'] as string | undefined;
  const known = new Map<string, Partial<DeviceInfo>>();
  if (dataDir) for (const [id, info] of await loadRegistry(dataDir)) known.set(id, info);
  if (typeof values.devices === 'string') {
    for (const [id, info] of loadDevicesFile(values.devices)) known.set(id, { ...known.get(id), ...info });
  }

  const store = new SqliteTicketStore(dataDir ?? ':memory:');
  await store.open();
  let dataClock = 0;
  const tickets = createTicketService({ store, clock: () => dataClock });
  const out = process.stdout;
  try {
    const result = await replayCsv({
      input: file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 }),
      rules,
      handleFinding: (finding) => {
        dataClock = finding.at;
        return tickets.handleFinding(finding);
      },
      onLine: (line) => out.write(`${JSON.stringify(line)}\n`),
      devices: (id) => known.get(id) as DeviceInfo | undefined,
      defaultModel,
    });
    const seconds = result.elapsedMs / 1000;
    const span =
      result.to >= result.from
        ? `${new Date(result.from).toISOString()} … ${new Date(result.to).toISOString()}`
        : 'no data';
    console.error(
      [
        `replayed ${result.readings} readings of ${result.devices} devices (${span}) in ${seconds.toFixed(1)} s` +
          ` (${Math.round(result.readings / Math.max(seconds, 1e-9))} readings/s)`,
        `findings: ${result.findings}; ticket events: ${result.events.ticket_opened} opened, ` +
          `${result.events.ticket_updated} updated, ${result.events.ticket_cleared} cleared`,
        ...(result.unknownDevices > 0
          ? [
              `${result.unknownDevices} devices without a known model were ignored (give --model or --devices)`,
            ]
          : []),
        ...(result.skipped > 0
          ? [`${result.skipped} rows skipped:`, ...result.problems.map((p) => `  ${p}`)]
          : []),
      ].join('\n'),
    );
    return 0;
  } finally {
    await store.close();
  }
}
