/**
 * Detection quality: `forewarn simulate` writes a fleet with known faults, `forewarn replay` runs the rules over
 * it, `forewarn score` compares the tickets with the truth. The figures are the scorer's own.
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { ScoreReport } from '../rules/score.js';
import type { ProcessGroup } from './processes.js';
import { type Benchmark, check, type Measurement, type Row, type TargetCheck } from './types.js';

const CLI = join(import.meta.dirname, '../cli/main.js');
const COMMANDS = ['simulate', 'replay', 'score'].map((name) =>
  join(import.meta.dirname, `../cli/commands/${name}.js`),
);
const STEP_TIMEOUT_MS = 15 * 60_000;

/** Runs a CLI command to its end with stdout to `stdoutFile` (or kept), bounded in time; resolves with stdout and code. */
async function cli(group: ProcessGroup, args: string[], cwd: string, stdoutFile?: string) {
  const out = stdoutFile ? openSync(stdoutFile, 'w') : undefined;
  const started = Date.now();
  const command = group.spawn(process.execPath, [CLI, ...args], {
    cwd,
    stdio: ['ignore', out ?? 'pipe', 'pipe'],
    env: { ...process.env, FOREWARN_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  command.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  const timer = setTimeout(() => command.child.kill('SIGKILL'), STEP_TIMEOUT_MS);
  const code = await new Promise<number>((resolve) => command.child.once('exit', (c) => resolve(c ?? 1)));
  clearTimeout(timer);
  if (out !== undefined) closeSync(out);
  return { code, stdout, stderr: command.stderr, seconds: (Date.now() - started) / 1000 };
}

const share = (value: number | null) => (value === null ? null : 100 * value);

export const qualityBenchmark: Benchmark = {
  name: 'quality',
  title: 'Detection quality on the standard simulated fleet (forewarn simulate → replay → score)',
  columns: [
    { key: 'kind', label: 'machine fault' },
    { key: 'faults', label: 'faults' },
    { key: 'scored', label: 'scored' },
    { key: 'detected', label: 'detected' },
    { key: 'recall', label: 'recall %', digits: 1 },
    { key: 'leadMedianHours', label: 'lead median h', digits: 1 },
    { key: 'leadP10Hours', label: 'lead p10 h', digits: 1 },
    { key: 'leadShareMedian', label: 'lead share median %', digits: 1 },
    { key: 'falsePer1000DeviceDays', label: 'false /1000 dev-days', digits: 2 },
    { key: 'heatWaveTickets', label: 'in heat waves' },
    { key: 'duplicates', label: 'duplicates' },
  ],

  async unavailable() {
    const missing = COMMANDS.find((file) => !existsSync(file));
    return missing ? `${missing} is missing (run \`npm run build\`)` : null;
  },

  async run(context): Promise<Measurement> {
    const fleet = context.scale.quality;
    const dir = context.workDir;
    const fleetArgs = ['--devices', fleet.devices, '--days', fleet.days, '--seed', fleet.seed];
    const simulateArgs = [...fleetArgs, '--interval', fleet.intervalSeconds, '--faulty', fleet.faulty].map(
      String,
    );
    context.progress(`simulating ${fleet.devices} devices × ${fleet.days} days`);
    const simulated = await cli(
      context.group,
      ['simulate', ...simulateArgs, '--out', 'fleet.csv', '--truth', 'truth.json'],
      dir,
    );
    if (simulated.code !== 0) throw new Error(`forewarn simulate failed:\n${simulated.stderr.slice(-2000)}`);
    context.progress('replaying');
    const replayed = await cli(context.group, ['replay', 'fleet.csv'], dir, join(dir, 'events.jsonl'));
    if (replayed.code !== 0) throw new Error(`forewarn replay failed:\n${replayed.stderr.slice(-2000)}`);
    // score exits 1 when a target is missed; its JSON report is what counts.
    const scored = await cli(
      context.group,
      ['score', '--truth', 'truth.json', 'events.jsonl', '--json'],
      dir,
    );
    if (scored.code > 1) throw new Error(`forewarn score failed:\n${scored.stderr.slice(-2000)}`);
    const report = JSON.parse(scored.stdout) as ScoreReport;

    const f = report.falseTickets;
    const rows: Row[] = Object.entries({ ...report.machine.byKind, all: report.machine.total }).map(
      ([kind, s]) => ({
        kind,
        faults: s.faults,
        scored: s.scored,
        detected: s.detected,
        recall: share(s.recall),
        leadMedianHours: s.leadHours.median,
        leadP10Hours: s.leadHours.p10,
        leadShareMedian: share(s.leadShare.median),
        // Fleet-wide figures belong to the total only.
        falsePer1000DeviceDays: kind === 'all' ? f.per1000DeviceDays : null,
        heatWaveTickets: kind === 'all' ? f.duringHeatWaves : null,
        duplicates: kind === 'all' ? report.duplicates : null,
      }),
    );
    const quality = Object.entries(report.dataQuality.byKind)
      .map(([kind, s]) => `${kind} ${s.ticketed}/${s.faults}`)
      .join(', ');
    return {
      rows,
      notes: [
        `fleet: forewarn simulate ${simulateArgs.join(' ')} (${report.devices} devices, ${report.deviceDays.toFixed(0)} device-days)`,
        `tickets opened: ${report.tickets.opened} (${report.tickets.machine} machine, ${report.tickets.dataQuality} data quality)`,
        `false machine tickets: ${f.total} (${f.per1000DeviceDays.toFixed(2)} per 1000 healthy device-days; ` +
          `${f.duringHeatWaves} during heat waves, ${f.duringDataQualityFaults} during data-quality faults); ` +
          `late: ${report.lateTickets}; duplicates: ${report.duplicates}`,
        `data-quality faults ticketed: ${quality || 'none in this fleet'}`,
        `simulate ${simulated.seconds.toFixed(1)} s, replay ${replayed.seconds.toFixed(1)} s`,
      ],
      details: { report: { ...report, falseTickets: { ...f, list: f.list.slice(0, 50) } } },
    };
  },

  targets(rows): TargetCheck[] {
    const all = rows.find((r) => r.kind === 'all');
    const checks: TargetCheck[] = [];
    checks.push(check('recall of machine faults, %', all?.recall, '>=', 98));
    for (const row of rows.filter((r) => r.kind !== 'all' && typeof r.leadShareMedian === 'number')) {
      checks.push(check(`${row.kind}: median lead, % of onset-to-failure`, row.leadShareMedian, '>=', 50));
    }
    checks.push(
      check('false machine tickets per 1000 healthy device-days', all?.falsePer1000DeviceDays, '<=', 0.5),
    );
    checks.push(check('tickets during heat waves', all?.heatWaveTickets, '<=', 0));
    checks.push(check('duplicate tickets', all?.duplicates, '<=', 0));
    return checks;
  },
};
