/** What every benchmark module implements and what the orchestrator hands it. */
import type { ProcessGroup } from './processes.js';
import type { Scale } from './scale.js';

/** A table cell: numbers are formatted by their column, null prints as a dash. */
export type Cell = string | number | null;
export type Row = Record<string, Cell>;

export interface Column {
  key: string;
  label: string;
  /** Decimals when printed; numbers are kept unrounded in the JSON. */
  digits?: number;
}

export interface TargetCheck {
  /** What is measured, e.g. "sqlite, 100 connections, single readings: readings/s". */
  what: string;
  /** The target in words, e.g. ">= 40000". */
  target: string;
  measured: number | null;
  /** null when there is nothing to judge (skipped or not measurable). */
  met: boolean | null;
}

/** One repeat's outcome. */
export interface Measurement {
  rows: Row[];
  notes?: string[];
  /** Anything else worth keeping in the JSON (histograms, raw counts). */
  details?: Record<string, unknown>;
  /** Parts that failed while the rest was measured: the benchmark reports its rows and counts as failed. */
  failures?: string[];
}

/** Runs one part of a benchmark; a failure is recorded in `failures` and the benchmark goes on with the next part. */
export async function part<T>(
  label: string,
  failures: string[],
  work: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    failures.push(`${label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return undefined;
  }
}

export interface BenchContext {
  scale: Scale;
  group: ProcessGroup;
  /** A scratch directory for this benchmark run, removed afterwards. */
  workDir: string;
  /** Where results and profiles go. */
  outDir: string;
  /** Node flags for every Forewarn server started (--cpu-prof and its directory when asked for). */
  serverNodeFlags: string[];
  seed: number;
  /** Progress on stderr, so stdout keeps the tables. */
  progress(message: string): void;
}

export interface Benchmark {
  name: string;
  title: string;
  columns: Column[];
  /**
   * Why the benchmark cannot run at all on this machine or in this tree (a missing tool or module), checked before
   * it starts; null (or no such method) when it can.
   */
  unavailable?(): Promise<string | null>;
  run(context: BenchContext): Promise<Measurement>;
  /** The tracked targets, judged on the median rows. */
  targets?(rows: Row[]): TargetCheck[];
}

/**
 * A target check for a figure that must be at least (or at most) `bound`. `statedAt` is the size the target is
 * stated at, when the run was smaller (quick, smoke): the figure is shown but not judged.
 */
export function check(
  what: string,
  measured: Cell | undefined,
  op: '>=' | '<=',
  bound: number,
  statedAt?: string,
): TargetCheck {
  const value = typeof measured === 'number' && Number.isFinite(measured) ? measured : null;
  return {
    what: statedAt ? `${what} (judged only at ${statedAt})` : what,
    target: `${op} ${bound}`,
    measured: value,
    met: value === null || statedAt ? null : op === '>=' ? value >= bound : value <= bound,
  };
}
