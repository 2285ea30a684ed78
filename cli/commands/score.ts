import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import {
  DEFAULT_SCORE_OPTIONS,
  parseTicketLines,
  parseTruth,
  type ScoreReport,
  scoreTickets,
} from '../../rules/score.js';
import { parseFlags } from '../flags.js';

export const summary = 'score ticket events (replay output) against a simulator ground truth';

const USAGE = `usage: forewarn score --truth TRUTH.json [EVENTS.jsonl | -] [--json]
       forewarn replay FLEET.csv | forewarn score --truth TRUTH.json

Reads ticket events as JSON lines (the output of \`forewarn replay\`, or the same lines from a live run) from
the file or stdin, and the simulator's truth file, and reports per fault kind:

  recall      machine faults with a machine ticket opened between onset − tolerance and the failure, among
              the faults whose failure falls within the data (faults failing later are listed apart)
  lead time   failure minus the first such ticket: median and 10th percentile, in hours and as a share of
              the fault's onset-to-failure span
  false       machine tickets that detect no fault: not within onset − tolerance … failure of a machine
              fault of their device (tickets after the failure are counted as late, not false); given per
              1000 healthy device-days (device time outside machine-fault windows). Among them:
    heat wave   opened during a heat wave of the device's region (± heat-wave margin)
    mistaken    opened during a data-quality fault of the device (± tolerance): a data-quality fault
                taken for a machine fault
  duplicates  further machine tickets for a fault that already had one
  data quality  per kind: faults that got a data-quality ticket while they lasted

Only ticket_opened events count as tickets. Targets checked: recall >= 98%, median lead share >= 50% per
kind, <= 0.5 false tickets per 1000 device-days, 0 heat-wave tickets, 0 duplicates.

options:
  --truth FILE             the simulator's truth JSON (required)
  --tolerance-hours N      how early before onset a ticket still counts (default ${DEFAULT_SCORE_OPTIONS.toleranceHours})
  --heat-margin-hours N    margin around heat waves (default ${DEFAULT_SCORE_OPTIONS.heatWaveMarginHours})
  --json                   print the full report as JSON
exit code: 0 when every target is met, 1 otherwise, 2 on bad input`;

const pct = (value: number | null) => (value === null ? '–' : `${(100 * value).toFixed(1)}%`);
const hours = (value: number | null) => (value === null ? '–' : `${value.toFixed(1)} h`);

function render(report: ScoreReport): string {
  const lines = [
    `${report.devices} devices, ${report.deviceDays.toFixed(0)} device-days (${report.healthyDeviceDays.toFixed(0)} healthy), ` +
      `${report.window.start} … ${report.window.end}`,
    `tickets opened: ${report.tickets.opened} (${report.tickets.machine} machine, ${report.tickets.dataQuality} data quality)`,
    '',
    'machine faults      faults  scored  detected  recall   lead median  lead p10   share median  share p10',
  ];
  const row = (name: string, s: ScoreReport['machine']['total']) =>
    `${name.padEnd(18)} ${String(s.faults).padStart(7)} ${String(s.scored).padStart(7)} ${String(s.detected).padStart(9)}  ` +
    `${pct(s.recall).padStart(6)}  ${hours(s.leadHours.median).padStart(11)}  ${hours(s.leadHours.p10).padStart(8)}  ` +
    `${pct(s.leadShare.median).padStart(12)}  ${pct(s.leadShare.p10).padStart(9)}`;
  for (const [kind, score] of Object.entries(report.machine.byKind)) lines.push(row(kind, score));
  lines.push(row('all', report.machine.total));
  if (report.machine.total.missed.length > 0) lines.push(`missed: ${report.machine.total.missed.join(', ')}`);
  if (report.machine.total.failingLater > 0) {
    lines.push(
      `failing after the data ends: ${report.machine.total.failingLater} (already ticketed: ${report.machine.total.failingLaterDetected})`,
    );
  }
  const f = report.falseTickets;
  lines.push(
    '',
    `false machine tickets: ${f.total} (${f.per1000DeviceDays.toFixed(2)} per 1000 device-days; ${f.onHealthyDevices} on devices without a machine fault)`,
    `  during heat waves: ${f.duringHeatWaves}; during data-quality faults (mistaken): ${f.duringDataQualityFaults}`,
    ...f.list
      .slice(0, 20)
      .map((t) => `  ${t.at} ${t.device} ${t.fault_code}${t.cause === 'none' ? '' : ` (${t.cause})`}`),
    `late tickets (after the failure): ${report.lateTickets}`,
    `duplicates: ${report.duplicates}`,
    '',
    'data-quality faults  faults  ticketed  mistaken',
    ...Object.entries(report.dataQuality.byKind).map(
      ([kind, s]) =>
        `${kind.padEnd(19)} ${String(s.faults).padStart(7)} ${String(s.ticketed).padStart(9)} ${String(s.mistaken).padStart(9)}`,
    ),
    `data-quality tickets without a data-quality fault: ${report.dataQuality.ticketsWithoutFault}`,
    '',
    'targets:',
    ...report.targets.map(
      (t) =>
        `  ${t.met ? 'met ' : 'MISS'}  ${t.name} ${t.target}: ${t.value === null ? '–' : Number(t.value.toFixed(4))}`,
    ),
  );
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    truth: { type: 'string' },
    'tolerance-hours': { type: 'string' },
    'heat-margin-hours': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (typeof values.truth !== 'string' || positionals.length > 1) {
    console.error(
      `forewarn score: ${positionals.length > 1 ? 'give at most one events file' : '--truth is required'}\n\n${USAGE}`,
    );
    return 2;
  }
  const options = { ...DEFAULT_SCORE_OPTIONS };
  for (const [flag, key] of [
    ['tolerance-hours', 'toleranceHours'],
    ['heat-margin-hours', 'heatWaveMarginHours'],
  ] as const) {
    if (values[flag] === undefined) continue;
    const value = Number(values[flag]);
    if (!Number.isFinite(value) || value < 0) {
      console.error(`forewarn score: --${flag}: '${values[flag]}' is not a number of hours`);
      return 2;
    }
    options[key] = value;
  }
  let report: ScoreReport;
  try {
    const truth = parseTruth(JSON.parse(readFileSync(values.truth, 'utf8')));
    const source = positionals[0];
    const events = source && source !== '-' ? readFileSync(source, 'utf8') : await text(process.stdin);
    report = scoreTickets(parseTicketLines(events), truth, options);
  } catch (error) {
    console.error(`forewarn score: ${(error as Error).message}`);
    return 2;
  }
  console.log(values.json ? JSON.stringify(report, null, 2) : render(report));
  return report.targets.every((t) => t.met) ? 0 : 1;
}
