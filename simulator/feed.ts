/**
 * What arrives from a device: its simulated readings, changed by any data-quality fault the way a real
 * link and sensor would change them: readings lost or late, sent twice, stamped by a wrong clock, or a
 * sensor repeating one value. The same feed drives the CSV file and the live MQTT fleet.
 */
import type { DeviceSimulator } from './device.js';
import type { PlannedFault } from './faults.js';
import { deriveSeed, Rng } from './random.js';

/** Receives readings in arrival order. `values` (by metric column, NaN = missing) is only valid during the call. */
export type ReadingSink = (ts: number, values: Float64Array) => void;

interface HeldReading {
  ts: number;
  values: Float64Array;
  /** Delivered right after the device's reading number `dueAt`. */
  dueAt: number;
}

export class DeviceFeed {
  private readonly fault: PlannedFault | null;
  private readonly rng: Rng;
  private readonly scratch: Float64Array;
  private readonly stuckSlot: number;
  private stuckValue = Number.NaN;
  private readingCount = 0;
  private held: HeldReading[] = [];

  constructor(
    readonly simulator: DeviceSimulator,
    fault: PlannedFault | null,
    columns: readonly string[],
    seed: number,
  ) {
    this.fault = fault && fault.category === 'data_quality' ? fault : null;
    this.rng = new Rng(deriveSeed(seed, 'device', simulator.device.index, 'link'));
    this.scratch = new Float64Array(columns.length);
    this.stuckSlot = this.fault?.params.stuckMetric ? columns.indexOf(this.fault.params.stuckMetric) : -1;
  }

  /** True while an `offline` fault keeps the device off the network. */
  isOffline(t: number): boolean {
    return this.fault?.kind === 'offline' && t >= this.fault.onset && t < (this.fault.end as number);
  }

  /** Simulates the reading due at `t` and passes whatever arrives because of it to `sink`. */
  emit(t: number, sink: ReadingSink): void {
    const simulator = this.simulator;
    simulator.step(t);
    this.readingCount++;
    const values = simulator.measured;
    const fault = this.fault;
    if (fault === null || t < fault.onset || t >= (fault.end as number)) {
      if (this.stuckSlot >= 0 && fault !== null && t < fault.onset) this.stuckValue = values[this.stuckSlot];
      sink(t, values);
    } else this.emitFaulty(fault, t, values, sink);
    if (this.held.length > 0) this.deliverHeld(sink);
  }

  /** Delivers every held-back reading now (the end of a run). */
  flush(sink: ReadingSink): void {
    for (const reading of this.held.splice(0)) sink(reading.ts, reading.values);
  }

  private emitFaulty(fault: PlannedFault, t: number, values: Float64Array, sink: ReadingSink): void {
    const { rng } = this;
    const { params } = fault;
    switch (fault.kind) {
      case 'offline':
        return;
      case 'dropout': {
        const draw = rng.next();
        const rate = params.rate ?? 0.3;
        if (draw < rate) return;
        if (draw < rate * 1.3) {
          // Sometimes only one sensor's value is lost.
          this.scratch.set(values);
          const slots = this.simulator.reportedSlots;
          this.scratch[slots[Math.floor(rng.next() * slots.length)]] = Number.NaN;
          sink(t, this.scratch);
          return;
        }
        sink(t, values);
        return;
      }
      case 'sensor_stuck':
        if (Number.isNaN(this.stuckValue)) this.stuckValue = values[this.stuckSlot];
        this.scratch.set(values);
        this.scratch[this.stuckSlot] = this.stuckValue;
        sink(t, this.scratch);
        return;
      case 'clock_skew':
        sink(t + (params.skewMs ?? 0), values);
        return;
      case 'duplicates':
        sink(t, values);
        if (rng.next() < (params.rate ?? 0.1)) sink(t, values);
        return;
      case 'out_of_order':
        if (rng.next() < (params.rate ?? 0.1)) {
          const delay = 1 + Math.floor(rng.next() * (params.maxDelayReadings ?? 3));
          this.held.push({ ts: t, values: values.slice(), dueAt: this.readingCount + delay });
        } else sink(t, values);
        return;
      default:
        sink(t, values);
    }
  }

  private deliverHeld(sink: ReadingSink): void {
    const due = this.held.filter((reading) => reading.dueAt <= this.readingCount);
    if (due.length === 0) return;
    this.held = this.held.filter((reading) => reading.dueAt > this.readingCount);
    for (const reading of due) sink(reading.ts, reading.values);
  }
}
