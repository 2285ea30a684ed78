import { FleetRun, type FleetRunHooks } from '../../simulator/file-run.js';
import type { SimulationOptionsInput } from '../../simulator/plan.js';

export interface CsvRow {
  /** Position in the file (0 = first data row). */
  line: number;
  ts: number;
  timestamp: string;
  device: string;
  model: string;
  /** Metric cells as written ('' = missing). */
  cells: string[];
}

export interface GeneratedRun {
  run: FleetRun;
  header: string[];
  text: string;
  /** Every data row, parsed (costly for big runs: prefer rowsOf). */
  rows(): CsvRow[];
  /** The rows of one device, in file order. */
  rowsOf(device: string): CsvRow[];
}

/** Generates a run completely and gives access to its CSV. */
export function generate(options: SimulationOptionsInput, hooks: FleetRunHooks = {}): GeneratedRun {
  const run = new FleetRun(options, hooks);
  const text = Buffer.concat([...run.csv()]).toString('utf8');
  const lines = text.split('\n');
  const header = lines[0].split(',');
  const parseLine = (i: number): CsvRow => {
    const [timestamp, device, model, ...cells] = lines[i].split(',');
    return { line: i - 1, ts: Date.parse(timestamp), timestamp, device, model, cells };
  };
  let byDevice: Map<string, number[]> | undefined;
  const index = () => {
    byDevice = new Map();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const from = line.indexOf(',') + 1;
      if (from === 0) continue;
      const device = line.slice(from, line.indexOf(',', from));
      const list = byDevice.get(device);
      if (list) list.push(i);
      else byDevice.set(device, [i]);
    }
    return byDevice;
  };
  return {
    run,
    header,
    text,
    rows: () => lines.slice(1).flatMap((line, i) => (line === '' ? [] : [parseLine(i + 1)])),
    rowsOf: (device) => ((byDevice ?? index()).get(device) ?? []).map(parseLine),
  };
}

/** The value of `metric` in a row (NaN when the cell is empty). */
export function cell(header: string[], row: CsvRow, metric: string): number {
  const text = row.cells[header.indexOf(metric) - 3];
  return text === '' || text === undefined ? Number.NaN : Number(text);
}
