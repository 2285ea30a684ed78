/**
 * Cost of the detectors per reading: `npx vitest bench test/rules`. One iteration feeds a simulated fleet's
 * readings (40 devices of all four models, two days at one-minute intervals) through a fresh engine; divide
 * the time per iteration by the reading count printed below for the cost per reading.
 */
import { bench, describe } from 'vitest';
import type { Reading } from '../../core/types.js';
import { defaultRulesConfig } from '../../rules/config.js';
import { RulesEngine } from '../../rules/engine.js';
import type { Finding } from '../../rules/finding.js';
import { TimestampParser } from '../../rules/replay.js';
import { FleetRun } from '../../simulator/file-run.js';

const fleet = new FleetRun({ devices: 40, days: 2, seed: 9, intervalS: 60, faulty: 0.3 });
const readings: Reading[] = [];
const timestamps = new TimestampParser();
let header: string[] = [];
for (const chunk of fleet.csv()) {
  for (const line of `${chunk}`.split('\n')) {
    if (line === '') continue;
    const cells = line.split(',');
    if (header.length === 0) {
      header = cells;
      continue;
    }
    const metrics: Record<string, number> = {};
    for (let i = 3; i < cells.length; i++) if (cells[i] !== '') metrics[header[i]] = Number(cells[i]);
    readings.push({ device: cells[1], ts: timestamps.parse(cells[0]), metrics });
  }
}
const models = new Map(fleet.truth().devices.map((d) => [d.id, d]));
const rules = defaultRulesConfig();
console.log(`${readings.length} readings per iteration`);

describe('rules engine', () => {
  bench(
    'process every reading of a 40-device fleet',
    () => {
      const engine = new RulesEngine({ rules, deviceInfo: (id) => models.get(id) });
      const arrival = { at: 0, uncertaintyMs: 0 };
      const out: Finding[] = [];
      for (const reading of readings) {
        arrival.at = reading.ts;
        out.length = 0;
        engine.process(reading, arrival, out);
      }
    },
    { iterations: 5, time: 0 },
  );
});
