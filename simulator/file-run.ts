/**
 * File mode: the whole run as CSV text, generated tick by tick and handed out in chunks, so a fleet of
 * hundreds of devices over months never sits in memory. Rows are in arrival order: timestamp order,
 * except where clock_skew and out_of_order faults make a device's timestamps disagree with it.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { CsvChunkWriter } from './csv-writer.js';
import type { DeviceSimulator } from './device.js';
import type { ReadingSink } from './feed.js';
import { createSimulatedFleet, observedFailures, type SimulatedFleet } from './fleet.js';
import { metricDecimals } from './format.js';
import { type FleetPlan, planFleet, type SimulationOptionsInput } from './plan.js';
import { buildTruth, type GroundTruth, serializeTruth } from './truth.js';

const CSV_KEY_COLUMNS = ['timestamp', 'device', 'model'] as const;

/** After the run, a machine fault that has not failed yet is followed this far to find its failure. */
const FAILURE_SEARCH_LIMIT_MS = 60 * 86_400_000;

export interface FleetRunHooks {
  /** Called after each simulated reading, before data-quality faults change what arrives: tests read `clean`. */
  observe?: (simulator: DeviceSimulator, t: number) => void;
}

export class FleetRun {
  readonly plan: FleetPlan;
  readonly fleet: SimulatedFleet;
  readonly totalTicks: number;
  /** Reporting intervals generated so far. */
  ticksDone = 0;
  /** CSV rows (readings) generated so far, header excluded. */
  rows = 0;
  private finished = false;

  constructor(
    options: SimulationOptionsInput,
    private readonly hooks: FleetRunHooks = {},
  ) {
    this.plan = planFleet(options);
    this.fleet = createSimulatedFleet(this.plan);
    this.totalTicks = Math.ceil((this.plan.end - this.plan.start) / this.plan.intervalMs);
  }

  get columns(): string[] {
    return this.fleet.columns;
  }

  /** The CSV file in chunks of about `chunkBytes` bytes, header first. */
  *csv(chunkBytes = 1 << 20): Generator<Buffer> {
    const { plan, fleet } = this;
    const writer = new CsvChunkWriter(chunkBytes);
    const decimals = fleet.columns.map(metricDecimals);
    const columnCount = decimals.length;
    const byPhase = fleet.feeds
      .map((feed) => {
        const { device } = feed.simulator;
        return { feed, phaseMs: device.phaseMs, key: Buffer.from(`,${device.id},${device.model}`, 'utf8') };
      })
      .sort((a, b) => a.phaseMs - b.phaseMs || a.feed.simulator.device.index - b.feed.simulator.device.index);
    const observe = this.hooks.observe;

    writer.text(`${[...CSV_KEY_COLUMNS, ...fleet.columns].join(',')}\n`);
    let key: Buffer = Buffer.alloc(0);
    const sink: ReadingSink = (ts, values) => {
      writer.timestamp(ts);
      writer.bytes(key);
      for (let c = 0; c < columnCount; c++) {
        writer.comma();
        writer.fixed(values[c], decimals[c]);
      }
      writer.newline();
      this.rows++;
    };

    for (let tick = 0; tick < this.totalTicks; tick++) {
      const tickStart = plan.start + tick * plan.intervalMs;
      for (const entry of byPhase) {
        const t = tickStart + entry.phaseMs;
        if (t >= plan.end) continue;
        key = entry.key;
        entry.feed.emit(t, sink);
        observe?.(entry.feed.simulator, t);
        if (writer.full) yield writer.take();
      }
      this.ticksDone = tick + 1;
    }
    for (const entry of byPhase) {
      key = entry.key;
      entry.feed.flush(sink);
      if (writer.full) yield writer.take();
    }
    this.finished = true;
    yield writer.take();
  }

  /**
   * The ground truth, once the CSV has been generated. A machine fault that had not failed by the end of
   * the run is simulated on (without output) until it does, so its failure time is still known.
   */
  truth(): GroundTruth {
    if (!this.finished)
      throw new Error('the ground truth is known only after the whole CSV has been generated');
    const { plan } = this;
    for (const feed of this.fleet.feeds) {
      const simulator = feed.simulator;
      if (simulator.machineFault === null) continue;
      const phase = simulator.device.phaseMs;
      // The first reading time after the run's last one for this device.
      let t =
        plan.start + Math.ceil((plan.end - plan.start - phase) / plan.intervalMs) * plan.intervalMs + phase;
      const limit = plan.end + FAILURE_SEARCH_LIMIT_MS;
      for (; simulator.failedAt === null && t < limit; t += plan.intervalMs) simulator.step(t);
    }
    return buildTruth(plan, observedFailures(this.fleet));
  }
}

export interface FileRunResult {
  rows: number;
  devices: number;
  faults: number;
  truth: GroundTruth;
}

/** Writes the CSV (and the ground truth, when `truthPath` is given), reporting progress as a 0–1 fraction. */
export async function writeFleetFiles(
  options: SimulationOptionsInput,
  paths: { csvPath: string; truthPath?: string },
  onProgress?: (fraction: number, rows: number) => void,
): Promise<FileRunResult> {
  const run = new FleetRun(options);
  const out = createWriteStream(paths.csvPath);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  for (const chunk of run.csv()) {
    if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
    onProgress?.(run.ticksDone / run.totalTicks, run.rows);
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  const truth = run.truth();
  if (paths.truthPath) await writeFile(paths.truthPath, serializeTruth(truth));
  return { rows: run.rows, devices: run.plan.devices.length, faults: run.plan.faults.length, truth };
}
