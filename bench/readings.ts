/**
 * Healthy AC-2000 readings with the precision real sensors report (2–3 decimals), so that stores compress and
 * detectors work as they would on a real fleet rather than on constants or on full-precision noise.
 */
import type { Reading } from '../core/types.js';
import { deriveSeed, Rng } from '../simulator/random.js';

/** The model every benchmark device is provisioned as; its profile lists these four metrics. */
export const BENCH_MODEL = 'AC-2000';

const DAY_MS = 86_400_000;

/** One device's signal: a unit-specific level per metric, a daily ambient cycle and sensor noise. */
export class DeviceSignal {
  readonly #rng: Rng;
  readonly #vibration: number;
  readonly #discharge: number;
  readonly #current: number;
  readonly #climate: number;

  constructor(seed: number, device: string | number) {
    this.#rng = new Rng(deriveSeed(seed, 'bench', device));
    this.#vibration = this.#rng.uniform(0.35, 0.6);
    this.#discharge = this.#rng.uniform(40, 48);
    this.#current = this.#rng.uniform(5, 7);
    this.#climate = this.#rng.uniform(18, 28);
  }

  /** Metric values at `ts`, rounded as the sensors round them. */
  values(ts: number): Reading['metrics'] {
    const rng = this.#rng;
    const ambient = this.#climate + 5 * Math.sin((2 * Math.PI * (ts % DAY_MS)) / DAY_MS);
    return {
      vibration_rms: round(this.#vibration + 0.03 * rng.normal(), 3),
      temperature_c: round(this.#discharge + 0.9 * (ambient - this.#climate) + 0.3 * rng.normal(), 2),
      ambient_c: round(ambient + 0.1 * rng.normal(), 1),
      current_a: round(this.#current + 0.1 * rng.normal(), 2),
    };
  }

  /** The reading as a device would put it on the wire. */
  json(ts: number): string {
    return `{"ts":${ts},${this.#fields(ts)}}`;
  }

  /** The metric fields of a reading at `ts` as JSON members, without braces. */
  #fields(ts: number): string {
    const v = this.values(ts);
    return `"vibration_rms":${v.vibration_rms},"temperature_c":${v.temperature_c},"ambient_c":${v.ambient_c},"current_a":${v.current_a}`;
  }

  /** `count` readings rendered ahead of time, for a generator that must spend its time sending, not formatting. */
  prerender(count: number, start: number): PrerenderedReadings {
    return new PrerenderedReadings(
      Array.from({ length: count }, (_, i) => `,${this.#fields(start + i * 10_000)}}`),
    );
  }
}

/**
 * A device's readings rendered once and cycled with fresh timestamps: formatting four noisy numbers costs about a
 * microsecond, which would make the generator, not the broker, the limit at a million readings per second.
 */
export class PrerenderedReadings {
  #next = 0;

  constructor(private readonly tails: readonly string[]) {}

  /** The next reading, stamped `ts`. */
  json(ts: number): string {
    const tail = this.tails[this.#next];
    this.#next = (this.#next + 1) % this.tails.length;
    return `{"ts":${ts}${tail}`;
  }
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/**
 * Hands out per-device timestamps that never repeat: the store ignores a second reading with the same device and
 * timestamp, and a device publishing faster than one reading per millisecond would otherwise collide.
 */
export class TimestampSequence {
  #last = 0;

  /** The first of `count` consecutive timestamps, the last of which is `now` or as close after it as allowed. */
  next(now: number, count: number): number {
    const first = Math.max(now - count + 1, this.#last + 1);
    this.#last = first + count - 1;
    return first;
  }

  /** How far the newest timestamp handed out runs ahead of `now`, ms. */
  leadMs(now: number): number {
    return Math.max(0, this.#last - now);
  }
}
