/**
 * Backtesting: runs the rules engine and the ticket service over a telemetry CSV with the data's own clock,
 * exactly as the live platform would have run them, and reports every ticket event. "What would these rules
 * have done last month?"
 */
import { splitCsvLine } from '../core/csv.js';
import { METRIC_NAME_PATTERN } from '../core/wire.js';
import type { RulesConfig } from './config.js';
import { type Arrival, RulesEngine } from './engine.js';
import type { Finding } from './finding.js';
import type { DeviceInfo } from './state.js';
import { medianInPlace } from './stats.js';

/** One ticket event as replay prints it (one JSON object per line). */
export interface ReplayLine {
  event: 'ticket_opened' | 'ticket_updated' | 'ticket_cleared';
  /** Data time, ISO-8601 UTC. */
  at: string;
  device: string;
  model: string;
  fault_code: string;
  category: 'machine' | 'data_quality';
  priority: 'P1' | 'P2' | 'P3';
  metric: string;
  predicted_failure_at: string | null;
  /** The ticket's id, so that events of one ticket can be told apart from those of another. */
  ticket: string;
}

/** The part of a ticket event replay needs (tickets/service.ts `TicketEvent`). */
export interface TicketEventLike {
  event: ReplayLine['event'];
  at: number;
  ticket: {
    id: string;
    device: string;
    model: string;
    faultCode: string | null;
    category: 'machine' | 'data_quality';
    priority: 'P1' | 'P2' | 'P3';
    metric: string | null;
    predictedFailureAt: number | null;
  };
}

/** Where findings go: the ticket service (`TicketService.handleFinding`). */
export type FindingHandler = (finding: Finding) => Promise<readonly TicketEventLike[]>;

export interface ReplayOptions {
  /** The CSV text, in chunks (a file stream, stdin…). */
  input: AsyncIterable<string | Buffer>;
  rules: RulesConfig;
  handleFinding: FindingHandler;
  /** Called for every ticket event, in order. */
  onLine: (line: ReplayLine) => void;
  /** Model, region and site of devices; the CSV's model column wins for the model. */
  devices?: (id: string) => DeviceInfo | undefined;
  /** Model of devices that neither the CSV nor `devices` name. */
  defaultModel?: string;
  /** How often (data time) devices are checked for being offline; default one minute. */
  offlineCheckMs?: number;
}

export interface ReplaySummary {
  rows: number;
  /** Rows turned into readings. */
  readings: number;
  /** Rows skipped, with the first few reasons. */
  skipped: number;
  problems: string[];
  devices: number;
  /** Devices without a known model, whose rows were ignored. */
  unknownDevices: number;
  findings: number;
  events: Record<ReplayLine['event'], number>;
  /** First and last data time seen, epoch ms. */
  from: number;
  to: number;
  /** Wall-clock milliseconds of the whole replay, and of the engine alone. */
  elapsedMs: number;
}

const MAX_PROBLEMS = 10;

/**
 * The data clock of a replay: rows arrive in arrival order, but one device's clock may be wrong, so the clock
 * follows the median time of the last rows rather than the newest timestamp, and never goes back.
 */
export class ArrivalClock implements Arrival {
  readonly #recent: Float64Array;
  readonly #scratch: Float64Array;
  #count = 0;
  /** The clock, epoch ms. */
  at = Number.NEGATIVE_INFINITY;
  /**
   * How far the clock may be off: the spread (10th to 90th percentile) of the recent rows' times. Tiny for a
   * fleet (many rows per second), large for one sparse device, whose own clock cannot be checked this way.
   */
  uncertaintyMs = Number.POSITIVE_INFINITY;

  constructor(window = 31) {
    this.#recent = new Float64Array(window);
    this.#scratch = new Float64Array(window);
  }

  /** Takes a row's time and moves the clock. */
  observe(ts: number): void {
    const size = this.#recent.length;
    this.#recent[this.#count % size] = ts;
    this.#count++;
    if (this.#count > size && this.#count % 8 !== 0) return;
    const n = Math.min(this.#count, size);
    this.#scratch.set(this.#recent.subarray(0, n));
    const median = medianInPlace(this.#scratch, n);
    if (median > this.at) this.at = median;
    this.uncertaintyMs = this.#scratch[Math.floor(0.9 * (n - 1))] - this.#scratch[Math.ceil(0.1 * (n - 1))];
  }
}

/** Parses `YYYY-MM-DDTHH:MM:SS[.sss]Z` fast (the day is cached), anything else with Date.parse, or epoch ms. */
export class TimestampParser {
  #dayText = '';
  #dayMs = 0;

  parse(text: string): number {
    if (
      text.length >= 20 &&
      text.charCodeAt(10) === 84 /* T */ &&
      text.charCodeAt(text.length - 1) === 90 /* Z */
    ) {
      const day = text.slice(0, 10);
      if (day !== this.#dayText) {
        this.#dayMs = Date.parse(`${day}T00:00:00Z`);
        this.#dayText = day;
      }
      const hh = digits(text, 11, 2);
      const mm = digits(text, 14, 2);
      const ss = digits(text, 17, 2);
      let ms = 0;
      if (text.charCodeAt(19) === 46 /* . */) {
        const end = text.length - 1;
        const frac = digits(text, 20, end - 20);
        ms = end - 20 === 3 ? frac : Math.round(frac * 10 ** (3 - (end - 20)));
      }
      const value = this.#dayMs + ((hh * 60 + mm) * 60 + ss) * 1000 + ms;
      if (Number.isFinite(value)) return value;
    }
    if (/^-?\d+$/.test(text)) return Number(text);
    return Date.parse(text);
  }
}

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    value = value * 10 + d;
  }
  return value;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Turns a ticket event into the line replay prints. */
export function toReplayLine(event: TicketEventLike): ReplayLine {
  const t = event.ticket;
  return {
    event: event.event,
    at: iso(event.at),
    device: t.device,
    model: t.model,
    fault_code: t.faultCode ?? '',
    category: t.category,
    priority: t.priority,
    metric: t.metric ?? '',
    predicted_failure_at: t.predictedFailureAt === null ? null : iso(t.predictedFailureAt),
    ticket: t.id,
  };
}

/** Replays a CSV through a fresh rules engine into the given ticket handler. */
export async function replayCsv(options: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  const summary: ReplaySummary = {
    rows: 0,
    readings: 0,
    skipped: 0,
    problems: [],
    devices: 0,
    unknownDevices: 0,
    findings: 0,
    events: { ticket_opened: 0, ticket_updated: 0, ticket_cleared: 0 },
    from: Number.POSITIVE_INFINITY,
    to: Number.NEGATIVE_INFINITY,
    elapsedMs: 0,
  };
  const skip = (line: number, reason: string) => {
    summary.skipped++;
    if (summary.problems.length < MAX_PROBLEMS) summary.problems.push(`line ${line}: ${reason}`);
  };

  // The model named by the row being read, for the engine's first look at a device.
  let rowModel = '';
  const unknown = new Set<string>();
  const engine = new RulesEngine({
    rules: options.rules,
    deviceInfo: (id) => {
      const known = options.devices?.(id);
      const model = rowModel || known?.model || options.defaultModel;
      if (!model || !options.rules.forModel(model)) {
        unknown.add(id);
        return undefined;
      }
      return { ...known, model };
    },
  });
  const clock = new ArrivalClock();
  const offlineCheckMs = options.offlineCheckMs ?? 60_000;
  let nextOfflineCheck = Number.NaN;
  const timestamps = new TimestampParser();
  const deliver = async (findings: Finding[]) => {
    for (const finding of findings) {
      summary.findings++;
      for (const event of await options.handleFinding(finding)) {
        summary.events[event.event]++;
        options.onLine(toReplayLine(event));
      }
    }
  };

  let header: { device: number; model: number; timestamp: number; metrics: Array<[string, number]> } | null =
    null;
  let carry = '';
  let lineNumber = 0;
  const findings: Finding[] = [];

  const handleLine = async (line: string) => {
    lineNumber++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') return;
    const cells = splitCsvLine(line);
    if (!header) {
      header = parseHeader(cells);
      return;
    }
    summary.rows++;
    const ts = timestamps.parse(cells[header.timestamp] ?? '');
    const device = cells[header.device];
    if (!Number.isFinite(ts)) return skip(lineNumber, `timestamp '${cells[header.timestamp]}' is not a time`);
    if (!device) return skip(lineNumber, 'no device');
    const metrics: Record<string, number> = {};
    for (const [name, column] of header.metrics) {
      const text = cells[column];
      if (text === undefined || text === '') continue;
      const value = Number(text);
      if (Number.isFinite(value)) metrics[name] = value;
    }
    rowModel = header.model >= 0 ? (cells[header.model] ?? '') : '';
    clock.observe(ts);
    const now = clock.at;
    if (ts < summary.from) summary.from = ts;
    if (ts > summary.to) summary.to = ts;
    if (Number.isNaN(nextOfflineCheck)) nextOfflineCheck = now + offlineCheckMs;
    if (now >= nextOfflineCheck) {
      await deliver(engine.checkOffline(now));
      nextOfflineCheck = now + offlineCheckMs;
    }
    summary.readings++;
    findings.length = 0;
    engine.process({ device, ts, metrics }, clock, findings);
    if (findings.length > 0) await deliver(findings.splice(0));
  };

  for await (const chunk of options.input) {
    const text = carry + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) await handleLine(line);
  }
  if (carry !== '') await handleLine(carry);
  if (!header) throw new Error('the CSV is empty: it needs a header timestamp,device,model,<metrics…>');

  summary.devices = engine.deviceCount;
  summary.unknownDevices = unknown.size;
  summary.elapsedMs = performance.now() - started;
  return summary;
}

function parseHeader(cells: string[]): {
  device: number;
  model: number;
  timestamp: number;
  metrics: Array<[string, number]>;
} {
  const names = cells.map((cell) => cell.trim());
  const timestamp = names.indexOf('timestamp');
  const device = names.indexOf('device');
  if (timestamp < 0 || device < 0) {
    throw new Error(`the CSV header needs 'timestamp' and 'device' columns; it has: ${names.join(', ')}`);
  }
  const model = names.indexOf('model');
  const metrics: Array<[string, number]> = [];
  names.forEach((name, column) => {
    if (column === timestamp || column === device || column === model) return;
    if (!METRIC_NAME_PATTERN.test(name))
      throw new Error(`CSV column '${name}' is not a metric name (${METRIC_NAME_PATTERN})`);
    metrics.push([name, column]);
  });
  return { device, model, timestamp, metrics };
}
