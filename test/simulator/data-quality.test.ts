import { beforeAll, describe, expect, it } from 'vitest';
import type { DataQualityFaultKind } from '../../core/models.js';
import type { PlannedFault } from '../../simulator/faults.js';
import { type CsvRow, cell, type GeneratedRun, generate } from './csv.js';

const HOUR = 3_600_000;
const START = Date.parse('2025-06-01T00:00:00Z');
const INTERVAL = 10_000;

const CASES: Array<{ kind: DataQualityFaultKind; params?: Record<string, number | string> }> = [
  { kind: 'sensor_stuck', params: { stuckMetric: 'temperature_c' } },
  { kind: 'dropout', params: { rate: 0.4 } },
  { kind: 'offline' },
  { kind: 'clock_skew', params: { skewMs: 95_000 } },
  { kind: 'duplicates', params: { rate: 0.2 } },
  { kind: 'out_of_order', params: { rate: 0.15, maxDelayReadings: 3 } },
];

describe('data-quality faults as they arrive in the CSV', () => {
  let generated: GeneratedRun;
  let rows: CsvRow[];
  const faultOf = (kind: DataQualityFaultKind) =>
    generated.run.plan.faults.find((fault) => fault.kind === kind) as PlannedFault;
  const rowsOf = (kind: DataQualityFaultKind) => rows.filter((row) => row.device === faultOf(kind).device);
  const inWindow = (fault: PlannedFault, row: CsvRow) =>
    row.ts >= fault.onset && row.ts < (fault.end as number);

  beforeAll(() => {
    generated = generate({
      devices: CASES.length + 2,
      days: 2,
      seed: 5,
      deviceModels: ['AC-2000', 'FR-300', 'WM-800', 'PU-55', 'AC-2000', 'FR-300', 'PU-55', 'WM-800'],
      faults: CASES.map((c, device) => ({
        device,
        kind: c.kind,
        onset: START + (10 + device) * HOUR,
        spanMs: 12 * HOUR,
        params: c.params,
      })),
    });
    rows = generated.rows();
  });

  it('lists every data-quality fault in the truth with its end and no failure', () => {
    const truth = generated.run.truth();
    expect(truth.faults.map((fault) => fault.kind).sort()).toEqual(CASES.map((c) => c.kind).sort());
    for (const fault of truth.faults) {
      expect(fault.category).toBe('data_quality');
      expect(fault.failure).toBeNull();
      expect(Date.parse(fault.end as string) - Date.parse(fault.onset)).toBe(12 * HOUR);
    }
    expect(truth.faults.find((fault) => fault.kind === 'clock_skew')?.detail).toEqual({ skewSeconds: 95 });
  });

  it('keeps healthy devices complete, in order, once per interval', () => {
    const faulty = new Set(generated.run.plan.faults.map((fault) => fault.device));
    const healthy = rows.filter((row) => !faulty.has(row.device));
    expect(healthy).toHaveLength(2 * 2 * 8640);
    const previous = new Map<string, number>();
    let irregular = 0;
    for (const row of healthy) {
      const last = previous.get(row.device);
      if (last !== undefined && row.ts - last !== INTERVAL) irregular++;
      previous.set(row.device, row.ts);
    }
    expect(irregular).toBe(0);
  });

  it('sensor_stuck: the metric repeats one value exactly during the fault, and varies outside it', () => {
    const fault = faultOf('sensor_stuck');
    const values = (inside: boolean) =>
      new Set(
        rowsOf('sensor_stuck')
          .filter((row) => inWindow(fault, row) === inside)
          .map((row) => cell(generated.header, row, 'temperature_c')),
      );
    expect(values(true).size).toBe(1);
    expect(values(false).size).toBeGreaterThan(100);
    const before = rowsOf('sensor_stuck')
      .filter((row) => row.ts < fault.onset)
      .at(-1) as CsvRow;
    expect(values(true).has(cell(generated.header, before, 'temperature_c'))).toBe(true);
  });

  it('dropout: readings go missing (whole rows or single cells) only during the fault', () => {
    const fault = faultOf('dropout');
    const series = rowsOf('dropout');
    const inside = series.filter((row) => inWindow(fault, row));
    const expected = (12 * HOUR) / INTERVAL;
    expect(inside.length).toBeLessThan(expected * 0.7);
    expect(inside.length).toBeGreaterThan(expected * 0.5);
    const withGaps = (list: CsvRow[]) =>
      list.filter((row) => row.cells.slice(0, 3).some((text) => text === '')).length;
    expect(withGaps(inside)).toBeGreaterThan(0);
    expect(withGaps(series.filter((row) => !inWindow(fault, row)))).toBe(0);
    expect(series.length - inside.length).toBe(2 * 8640 - expected);
  });

  it('offline: no rows at all while offline, the usual ones before and after', () => {
    const fault = faultOf('offline');
    const series = rowsOf('offline');
    expect(series.filter((row) => inWindow(fault, row))).toHaveLength(0);
    expect(series).toHaveLength(2 * 8640 - (12 * HOUR) / INTERVAL);
    const gap = series.findIndex((row) => row.ts >= (fault.end as number));
    expect(series[gap].ts - series[gap - 1].ts).toBe(12 * HOUR + INTERVAL);
  });

  it('clock_skew: timestamps run 95 s ahead during the fault; the rows stay where they arrived', () => {
    const fault = faultOf('clock_skew');
    const series = rowsOf('clock_skew');
    const phase = (series[0].ts - START) % INTERVAL;
    const skewed = series.filter((row) => (row.ts - START - phase) % INTERVAL === 5_000);
    expect(skewed).toHaveLength((12 * HOUR) / INTERVAL);
    for (const row of skewed) expect(inWindow(fault, { ...row, ts: row.ts - 95_000 })).toBe(true);
    // When the clock is set right, timestamps go back.
    const back = series.findIndex((row, i) => i > 0 && row.ts < series[i - 1].ts);
    expect(series[back - 1].ts - series[back].ts).toBe(95_000 - INTERVAL);
    // A skewed row sits among the rows of its true arrival time, not at its stamped time.
    const lastSkewed = skewed.at(-1) as CsvRow;
    expect(rows[lastSkewed.line - 1].ts).toBeLessThan(lastSkewed.ts - 85_000);
  });

  it('duplicates: some readings arrive twice, right after each other, only during the fault', () => {
    const fault = faultOf('duplicates');
    const series = rowsOf('duplicates');
    const twins = series.filter((row, i) => i > 0 && row.ts === series[i - 1].ts);
    const expected = (12 * HOUR * 0.2) / INTERVAL;
    expect(twins.length).toBeGreaterThan(expected * 0.8);
    expect(twins.length).toBeLessThan(expected * 1.2);
    for (const twin of twins) {
      expect(inWindow(fault, twin)).toBe(true);
      expect(twin.cells).toEqual(rows[twin.line - 1].cells);
    }
  });

  it('out_of_order: some readings arrive after later ones, only during the fault; none is lost', () => {
    const fault = faultOf('out_of_order');
    const series = rowsOf('out_of_order');
    expect(series).toHaveLength(2 * 8640);
    const late = series.filter((row, i) => i > 0 && row.ts < series[i - 1].ts);
    expect(late.length).toBeGreaterThan(((12 * HOUR) / INTERVAL) * 0.15 * 0.7);
    for (const row of late) {
      expect(inWindow(fault, row)).toBe(true);
      const overtaken = series.filter((other) => other.line < row.line && other.ts > row.ts);
      expect(overtaken.length).toBeGreaterThanOrEqual(1);
      expect(overtaken.length).toBeLessThanOrEqual(3);
    }
    expect(new Set(series.map((row) => row.ts)).size).toBe(2 * 8640);
  });

  it('keeps the whole file in timestamp order apart from skewed and late rows', () => {
    const disorderly = new Set([faultOf('clock_skew').device, faultOf('out_of_order').device]);
    const orderly = rows.filter((row) => !disorderly.has(row.device));
    expect(orderly.filter((row, i) => i > 0 && row.ts < orderly[i - 1].ts)).toEqual([]);
    expect(rows.filter((row, i) => i > 0 && row.ts < rows[i - 1].ts).length).toBeGreaterThan(0);
  });
});
