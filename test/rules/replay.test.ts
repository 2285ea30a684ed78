/**
 * Replay and score on a small simulated fleet: the real simulator writes the CSV and the truth, the real rules
 * engine and ticket service replay it, and the score must reach the recall target without false tickets.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as replayCommand } from '../../cli/commands/replay.js';
import { run as scoreCommand } from '../../cli/commands/score.js';
import { defaultRulesConfig } from '../../rules/config.js';
import { type ReplayLine, replayCsv } from '../../rules/replay.js';
import { parseTruth, scoreTickets, ticketLineSchema } from '../../rules/score.js';
import { FleetRun } from '../../simulator/file-run.js';
import type { SimulationOptionsInput } from '../../simulator/plan.js';
import type { GroundTruth } from '../../simulator/truth.js';
import { createTicketService } from '../../tickets/service.js';
import { SqliteTicketStore } from '../../tickets/sqlite-store.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.parse('2025-06-01T00:00:00Z');
const at = (days: number) => START + Math.round(days * DAY);

/** One fault of every machine kind, a data-quality fault and a heat wave over every region. */
function fleetOptions() {
  return {
    devices: 16,
    days: 10,
    seed: 4,
    intervalS: 60,
    start: START,
    deviceModels: [
      'PU-55',
      'AC-2000',
      'FR-300',
      'AC-2000',
      'FR-300',
      'PU-55',
      'WM-800',
      'AC-2000',
      'AC-2000',
      'FR-300',
      'WM-800',
      'PU-55',
      'AC-2000',
      'FR-300',
      'WM-800',
      'PU-55',
    ],
    faults: [
      { device: 0, kind: 'bearing_wear' as const, onset: at(3), spanMs: 6 * DAY },
      { device: 1, kind: 'imbalance' as const, onset: at(4), spanMs: 3 * DAY },
      { device: 2, kind: 'loose_mount' as const, onset: at(4), spanMs: 3 * DAY },
      { device: 3, kind: 'refrigerant_leak' as const, onset: at(3), spanMs: 5 * DAY },
      { device: 4, kind: 'condenser_fouling' as const, onset: at(3), spanMs: 5 * DAY },
      { device: 5, kind: 'fan_failure' as const, onset: at(5), spanMs: 8 * HOUR },
      {
        device: 7,
        kind: 'sensor_stuck' as const,
        onset: at(5),
        spanMs: DAY,
        params: { stuckMetric: 'temperature_c' },
      },
    ],
    heatWaves: ['north', 'west', 'south', 'east'].map((region) => ({
      region,
      start: at(6),
      end: at(8.5),
      deltaC: 7,
    })),
  };
}

/** Simulates a fleet and replays it through the rules and a ticket service in memory: the ticket lines and the truth. */
async function replayInMemory(
  options: SimulationOptionsInput,
): Promise<{ lines: ReplayLine[]; truth: GroundTruth }> {
  const store = new SqliteTicketStore(':memory:');
  await store.open();
  const tickets = createTicketService({ store, clock: () => 0 });
  const lines: ReplayLine[] = [];
  const fleet = new FleetRun(options);
  let csv = '';
  for (const chunk of fleet.csv()) csv += `${chunk}`;
  const truth = fleet.truth();
  const devices = new Map(truth.devices.map((d) => [d.id, d]));
  await replayCsv({
    input: (async function* () {
      yield csv;
    })(),
    rules: defaultRulesConfig(),
    handleFinding: (finding) => tickets.handleFinding(finding),
    onLine: (line) => lines.push(line),
    devices: (id) => devices.get(id),
  });
  await store.close();
  return { lines, truth };
}

describe('replay and score on a simulated fleet', () => {
  let csv = '';
  let truth: GroundTruth;
  let dir: string;

  beforeAll(() => {
    const fleet = new FleetRun(fleetOptions());
    for (const chunk of fleet.csv()) csv += `${chunk}`;
    truth = fleet.truth();
    dir = mkdtempSync(join(tmpdir(), 'forewarn-replay-'));
    writeFileSync(join(dir, 'fleet.csv'), csv);
    writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds every machine fault before its failure, with no false tickets, no duplicates, none for the heat wave', async () => {
    const replayed = await replayInMemory(fleetOptions());
    const report = scoreTickets(replayed.lines, parseTruth(replayed.truth));
    expect(report.machine.total.scored).toBeGreaterThanOrEqual(5);
    expect(report.machine.total.recall).toBeGreaterThanOrEqual(0.98);
    expect(report.falseTickets.total).toBe(0);
    expect(report.falseTickets.duringHeatWaves).toBe(0);
    expect(report.duplicates).toBe(0);
    expect(report.dataQuality.byKind.sensor_stuck).toEqual({ faults: 1, ticketed: 1, mistaken: 0 });
    expect(report.machine.total.leadShare.median).toBeGreaterThanOrEqual(0.5);
  });

  it('prints one JSON line per ticket event in the documented shape, and writes no data directory', async () => {
    const dataDir = join(dir, 'data');
    vi.stubEnv('FOREWARN_DATA_DIR', dataDir);
    const written: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
      written.push(String(text));
      return true;
    });
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await replayCommand([join(dir, 'fleet.csv'), '--devices', join(dir, 'truth.json')])).toBe(0);
      expect(stderr.mock.calls.map((call) => String(call[0])).join('\n')).toMatch(
        /^replayed \d+ readings of 16 devices/,
      );
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      vi.unstubAllEnvs();
    }
    const lines = written.join('').trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      const event = JSON.parse(line);
      expect(Object.keys(event)).toEqual([
        'event',
        'at',
        'device',
        'model',
        'fault_code',
        'category',
        'priority',
        'metric',
        'predicted_failure_at',
        'ticket',
      ]);
      expect(ticketLineSchema.safeParse(event).success).toBe(true);
      expect(event.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(['P1', 'P2', 'P3']).toContain(event.priority);
    }
    expect(readdirSync(dir)).not.toContain('data');
    writeFileSync(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
  });

  it('scores the printed events from a file, as text and as JSON, with an exit code for the targets', async () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((text) => {
      printed.push(String(text));
    });
    try {
      const code = await scoreCommand([
        '--truth',
        join(dir, 'truth.json'),
        join(dir, 'events.jsonl'),
        '--json',
      ]);
      const report = JSON.parse(printed.join(''));
      expect(report.machine.total.recall).toBeGreaterThanOrEqual(0.98);
      expect(code).toBe(report.targets.every((t: { met: boolean }) => t.met) ? 0 : 1);
      printed.length = 0;
      await scoreCommand(['--truth', join(dir, 'truth.json'), join(dir, 'events.jsonl')]);
      expect(printed.join('\n')).toMatch(/machine faults\s+faults\s+scored\s+detected\s+recall/);
    } finally {
      log.mockRestore();
    }
  });
});

describe('a washer whose fan fails within one program', () => {
  // Fans that fail in two hours, starting at different times of day: running, just before a program, idle.
  const options: SimulationOptionsInput = {
    devices: 8,
    days: 5,
    seed: 12,
    intervalS: 60,
    start: START,
    deviceModels: Array.from({ length: 8 }, () => 'WM-800'),
    faults: [8, 11, 14, 17].map((hour, device) => ({
      device,
      kind: 'fan_failure' as const,
      onset: at(3 + hour / 24),
      spanMs: 2 * HOUR,
    })),
  };

  it('is found before the failure, while the drum turns, and the healthy washers open nothing', async () => {
    const { lines, truth } = await replayInMemory(options);
    const report = scoreTickets(lines, parseTruth(truth));
    expect(report.machine.total.scored).toBe(4);
    expect(report.machine.total.detected).toBe(4);
    expect(report.falseTickets.total).toBe(0);
  });
});
