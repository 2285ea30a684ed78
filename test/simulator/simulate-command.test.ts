import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/commands/simulate.js';

describe('forewarn simulate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'forewarn-simulate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it('writes the CSV and the truth for the documented flags', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    const csv = join(dir, 'fleet.csv');
    const truthFile = join(dir, 'truth.json');
    const argv = ['--devices', '6', '--days', '1', '--seed', '4', '--interval', '30', '--faulty', '0.5'];
    const code = await run([...argv, '--start', '2025-03-01T00:00:00Z', '--out', csv, '--truth', truthFile]);
    expect(code).toBe(0);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^timestamp,device,model,vibration_rms,temperature_c,ambient_c,/);
    expect(lines[1]).toMatch(/^2025-03-01T00:00:\d\d\.\d{3}Z,sim-000\d,(AC-2000|FR-300|WM-800|PU-55),/);
    const truth = JSON.parse(readFileSync(truthFile, 'utf8'));
    expect(truth).toMatchObject({
      start: '2025-03-01T00:00:00.000Z',
      end: '2025-03-02T00:00:00.000Z',
      seed: 4,
      intervalS: 30,
    });
    expect(truth.faults).toHaveLength(3);
    expect(errors.join('\n')).toMatch(/wrote [\d,]+ readings of 6 devices/);
  });

  it('explains bad flags and exits with 2', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    expect(await run(['--devices', 'many', '--out', join(dir, 'x.csv')])).toBe(2);
    expect(await run(['--devices', '3', '--faulty', '2', '--out', join(dir, 'x.csv')])).toBe(2);
    expect(await run(['--mix', 'gremlins=1', '--out', join(dir, 'x.csv')])).toBe(2);
    expect(await run(['--devices', '3'])).toBe(2);
    expect(await run(['--live'])).toBe(2);
    expect(await run(['--wat'])).toBe(2);
    expect(errors.join('\n')).toContain("--devices: 'many' is not a number");
    expect(errors.join('\n')).toContain('--faulty: Too big');
    expect(errors.join('\n')).toContain("'gremlins' is not a fault kind");
    expect(errors.join('\n')).toContain('--out FILE.csv is required');
    expect(errors.join('\n')).toContain('--provision');
  });

  it('prints usage with --help', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => out.push(line));
    expect(await run(['--help'])).toBe(0);
    expect(out.join('\n')).toContain('forewarn simulate --devices N --days D --seed S');
  });
});
