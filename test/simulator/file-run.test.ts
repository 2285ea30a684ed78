import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_QUALITY_FAULT_KINDS, MACHINE_FAULT_KINDS, MODEL_PROFILES } from '../../core/models.js';
import { FleetRun, writeFleetFiles } from '../../simulator/file-run.js';
import { metricDecimals } from '../../simulator/format.js';
import { generate } from './csv.js';

const SMALL = { devices: 20, days: 2, seed: 7 };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function digest(options: ConstructorParameters<typeof FleetRun>[0]): { hash: string; truth: string } {
  const run = new FleetRun(options);
  const hash = createHash('sha256');
  for (const chunk of run.csv(64 * 1024)) hash.update(chunk);
  return { hash: hash.digest('hex'), truth: JSON.stringify(run.truth()) };
}

describe('file mode', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('gives byte-identical CSV and truth for the same options and seed, and different ones for another seed', () => {
    const first = digest({ ...SMALL, faulty: 0.5 });
    const second = digest({ ...SMALL, faulty: 0.5 });
    const otherSeed = digest({ ...SMALL, faulty: 0.5, seed: 8 });
    expect(second).toEqual(first);
    expect(otherSeed.hash).not.toBe(first.hash);
    expect(otherSeed.truth).not.toBe(first.truth);
  });

  it('generates a small fleet (20 devices × 2 days at 10 s) in well under a second of processor time', () => {
    new FleetRun({ devices: 2, days: 0.1, seed: 1 }).csv().next(); // warm up the JIT
    // Processor time, not wall time: the machine may be busy with other work.
    const before = process.cpuUsage();
    const run = new FleetRun({ ...SMALL, faulty: 0 });
    let bytes = 0;
    for (const chunk of run.csv()) bytes += chunk.length;
    const used = process.cpuUsage(before);
    expect(run.rows).toBe(20 * 2 * 8640);
    expect(bytes).toBeGreaterThan(run.rows * 50);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
  });

  it('writes the documented CSV: header, ISO-8601 UTC timestamps, fixed decimals, empty cells for absent metrics', () => {
    const generated = generate({ devices: 12, days: 1, seed: 5, faulty: 0 });
    const { header, run } = generated;
    const rows = generated.rows();
    expect(header.slice(0, 6)).toEqual([
      'timestamp',
      'device',
      'model',
      'vibration_rms',
      'temperature_c',
      'ambient_c',
    ]);
    const union = new Set(Object.values(MODEL_PROFILES).flatMap((profile) => Object.keys(profile.metrics)));
    expect(new Set(header.slice(3))).toEqual(union);
    const models = new Map(run.plan.devices.map((device) => [device.id, device.model]));
    const formats = header.slice(3).map((metric) => {
      const decimals = metricDecimals(metric);
      return decimals === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${decimals}}$`);
    });
    const problems: string[] = [];
    let previous = Number.NEGATIVE_INFINITY;
    for (const row of rows) {
      if (!ISO_UTC.test(row.timestamp) || new Date(row.ts).toISOString() !== row.timestamp)
        problems.push(`time ${row.timestamp}`);
      if (row.ts < previous) problems.push(`order at ${row.line}`);
      previous = row.ts;
      if (row.model !== models.get(row.device)) problems.push(`model of ${row.device}`);
      if (row.cells.length !== header.length - 3) problems.push(`cells at ${row.line}`);
      const reported = MODEL_PROFILES[row.model].metrics;
      row.cells.forEach((text, i) => {
        const expected = Object.hasOwn(reported, header[i + 3]);
        if (expected ? !formats[i].test(text) : text !== '')
          problems.push(`${header[i + 3]}='${text}' at ${row.line}`);
      });
    }
    expect(problems.slice(0, 5)).toEqual([]);
    // Every device reports once per interval: 1 day at 10 s.
    const perDevice = new Map<string, number>();
    for (const row of rows) perDevice.set(row.device, (perDevice.get(row.device) ?? 0) + 1);
    expect([...perDevice.values()]).toEqual(new Array(12).fill(8640));
  });

  it('writes the documented truth: devices, faults with category and failure or end, heat waves', () => {
    const run = new FleetRun({ devices: 60, days: 40, seed: 3, faulty: 0.5, intervalS: 600 });
    for (const _ of run.csv());
    const truth = run.truth();
    expect(truth).toMatchObject({
      start: '2025-06-01T00:00:00.000Z',
      end: '2025-07-11T00:00:00.000Z',
      seed: 3,
    });
    expect(truth.devices).toHaveLength(60);
    for (const device of truth.devices) {
      expect(Object.keys(device).sort()).toEqual(['id', 'lat', 'lon', 'model', 'region']);
      expect(Object.hasOwn(MODEL_PROFILES, device.model)).toBe(true);
    }
    expect(truth.faults).toHaveLength(30);
    const kinds = new Set(truth.faults.map((fault) => fault.kind));
    expect(kinds.size).toBeGreaterThan(6);
    for (const fault of truth.faults) {
      expect(fault.onset).toMatch(ISO_UTC);
      expect(truth.devices.find((device) => device.id === fault.device)?.model).toBe(fault.model);
      if ((MACHINE_FAULT_KINDS as readonly string[]).includes(fault.kind)) {
        expect(fault.category).toBe('machine');
        expect(fault.end).toBeNull();
        expect(fault.failure).toMatch(ISO_UTC);
        expect(Date.parse(fault.failure as string)).toBeGreaterThan(Date.parse(fault.onset));
        expect(MODEL_PROFILES[fault.model].machineFaults).toContain(fault.kind);
      } else {
        expect(DATA_QUALITY_FAULT_KINDS).toContain(fault.kind);
        expect(fault.category).toBe('data_quality');
        expect(fault.failure).toBeNull();
        expect(Date.parse(fault.end as string)).toBeGreaterThan(Date.parse(fault.onset));
      }
    }
    expect(truth.heatWaves.length).toBeGreaterThan(0);
    for (const wave of truth.heatWaves) {
      expect(['north', 'west', 'south', 'east']).toContain(wave.region);
      expect(Date.parse(wave.end)).toBeGreaterThan(Date.parse(wave.start));
      expect(wave.deltaC).toBeGreaterThan(0);
    }
  });

  it('writes files that do not depend on where or when they are written', async () => {
    const written = [];
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), `forewarn-sim-${i}-`));
      dirs.push(dir);
      const paths = { csvPath: join(dir, 'fleet.csv'), truthPath: join(dir, 'truth.json') };
      const result = await writeFleetFiles({ devices: 5, days: 3, seed: 11, faulty: 0.4 }, paths);
      written.push({
        result,
        csv: readFileSync(paths.csvPath),
        truth: readFileSync(paths.truthPath, 'utf8'),
      });
    }
    expect(written[1].csv.equals(written[0].csv)).toBe(true);
    expect(written[1].truth).toBe(written[0].truth);
    expect(JSON.parse(written[0].truth)).toEqual(written[0].result.truth);
    expect(written[0].truth).not.toContain(dirs[0]);
    expect(written[0].result.rows).toBe(written[0].csv.toString().trimEnd().split('\n').length - 1);
  });
});
