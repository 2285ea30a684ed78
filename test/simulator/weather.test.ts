import { describe, expect, it } from 'vitest';
import { ISO_10816_ZONES, MODEL_PROFILES } from '../../core/models.js';
import type { DeviceSimulator } from '../../simulator/device.js';
import { FleetRun } from '../../simulator/file-run.js';
import { metricColumns } from '../../simulator/format.js';
import { cell, generate } from './csv.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.parse('2025-06-01T00:00:00Z');

describe('weather', () => {
  it('moves every device of a region at once in a heat wave, and no other: ambient by ΔT, temperature by coupling × ΔT', () => {
    const wave = { region: 'south', start: START + 1.5 * DAY, end: START + 3.5 * DAY, deltaC: 6 };
    const options = { devices: 12, days: 4, seed: 9, faulty: 0, intervalS: 30 };
    const hot = generate({ ...options, heatWaves: [wave] });
    const normal = generate({ ...options, heatWaves: [] });
    const south = hot.run.plan.devices.filter((device) => device.region === 'south');
    expect(south.length).toBeGreaterThanOrEqual(3);
    expect(hot.run.truth().heatWaves).toEqual([
      { region: 'south', start: '2025-06-02T12:00:00.000Z', end: '2025-06-04T12:00:00.000Z', deltaC: 6 },
    ]);

    for (const device of hot.run.plan.devices) {
      const a = hot.rowsOf(device.id);
      const b = normal.rowsOf(device.id);
      expect(a.map((row) => row.ts)).toEqual(b.map((row) => row.ts));
      const plateau = a
        .map((_, i) => i)
        .filter((i) => a[i].ts >= wave.start + 12 * HOUR && a[i].ts < wave.end - 12 * HOUR);
      const outside = a.map((_, i) => i).filter((i) => a[i].ts < wave.start || a[i].ts >= wave.end);
      const ambientDelta = (i: number) =>
        cell(hot.header, a[i], 'ambient_c') - cell(hot.header, b[i], 'ambient_c');
      const inRegion = device.region === 'south';
      const worstError = (indexes: number[], expected: number) =>
        Math.max(...indexes.map((i) => Math.abs(ambientDelta(i) - expected)));
      expect(worstError(plateau, inRegion ? 6 : 0)).toBeLessThan(0.02);
      expect(worstError(outside, 0)).toBeLessThan(0.02);

      // Compare like with like: heat also makes compressors run longer, which warms them by itself.
      const running = (row: (typeof a)[number]) => cell(hot.header, row, 'vibration_rms') > 0.15;
      const temperatureDeltas = plateau
        .filter((i) => running(a[i]) === running(b[i]))
        .map((i) => cell(hot.header, a[i], 'temperature_c') - cell(hot.header, b[i], 'temperature_c'))
        .sort((x, y) => x - y);
      const median = temperatureDeltas[Math.floor(temperatureDeltas.length / 2)];
      const coupling = MODEL_PROFILES[device.model].ambientCoupling;
      // Thermal lag over longer compressor runs adds a little on top of the direct coupling.
      if (inRegion) expect(Math.abs(median - coupling * 6)).toBeLessThan(0.25 * coupling * 6);
      else expect(median).toBe(0);
    }
  });

  it('keeps healthy devices healthy for 60 days: vibration in zones A/B, temperatures below warning', () => {
    const vibration = metricColumns().indexOf('vibration_rms');
    const temperature = metricColumns().indexOf('temperature_c');
    const ambient = metricColumns().indexOf('ambient_c');
    const worst = new Map<string, { vibration: number; temperature: number }>();
    let readings = 0;
    let vibrationOutsideAB = 0;
    let ambientMin = Number.POSITIVE_INFINITY;
    let ambientMax = Number.NEGATIVE_INFINITY;
    const observe = (simulator: DeviceSimulator) => {
      const { model } = simulator.device;
      const entry = worst.get(model) ?? { vibration: 0, temperature: Number.NEGATIVE_INFINITY };
      entry.vibration = Math.max(entry.vibration, simulator.clean[vibration]);
      entry.temperature = Math.max(entry.temperature, simulator.clean[temperature]);
      worst.set(model, entry);
      readings++;
      const zones = ISO_10816_ZONES[MODEL_PROFILES[model].vibrationClass];
      if (simulator.measured[vibration] >= zones.bc) vibrationOutsideAB++;
      ambientMin = Math.min(ambientMin, simulator.clean[ambient]);
      ambientMax = Math.max(ambientMax, simulator.clean[ambient]);
    };
    const run = new FleetRun(
      {
        devices: 32,
        days: 60,
        seed: 13,
        intervalS: 60,
        faulty: 0,
        deviceModels: Array.from({ length: 32 }, (_, i) => ['AC-2000', 'FR-300', 'WM-800', 'PU-55'][i % 4]),
      },
      { observe },
    );
    for (const _ of run.csv());
    expect(run.plan.heatWaves.length).toBeGreaterThan(2);
    expect(readings).toBe(32 * 60 * 1440);
    for (const [model, entry] of worst) {
      const profile = MODEL_PROFILES[model];
      expect(entry.vibration).toBeLessThan(ISO_10816_ZONES[profile.vibrationClass].bc);
      expect(entry.temperature).toBeLessThan(profile.temperature.warningC);
    }
    // Only rare one-reading spikes leave zone B.
    expect(vibrationOutsideAB / readings).toBeLessThan(1e-4);
    expect(ambientMin).toBeGreaterThan(-5);
    expect(ambientMax).toBeLessThan(50);
    expect(ambientMax - ambientMin).toBeGreaterThan(20);
  });
});
