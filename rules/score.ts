/**
 * Scores ticket events (replay output, or the same lines from a live run) against a simulator's ground truth.
 *
 * Definitions (also in `forewarn score --help`):
 * - Only `ticket_opened` events count as tickets; a ticket is machine or data_quality by its category.
 * - A machine ticket on a device with a machine fault, opened between onset − tolerance and the failure, detects
 *   that fault. Recall per kind counts the faults whose failure falls within the data; lead time is failure minus
 *   the first detecting ticket, also given as a share of the fault's onset-to-failure span.
 * - A further machine ticket for a fault that was already detected is a duplicate.
 * - A machine ticket opened after its device's machine fault failed is late (neither false nor a detection).
 * - Every other machine ticket is false. Rate: false tickets per 1000 healthy device-days (device time outside
 *   machine fault windows). Among them: those opened during a heat wave in the device's region (± margin) are
 *   heat-wave tickets; those opened during a data-quality fault of the device (± tolerance) are data-quality
 *   faults mistaken for machine faults.
 */
import { median, quantile } from 'simple-statistics';
import { z } from 'zod';
import { DATA_QUALITY_FAULT_KINDS, MACHINE_FAULT_KINDS } from '../core/models.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

const isoTime = z.string().refine((text) => Number.isFinite(Date.parse(text)), 'must be an ISO-8601 time');

export const truthSchema = z.object({
  start: isoTime,
  end: isoTime,
  seed: z.number().optional(),
  devices: z.array(z.object({ id: z.string(), model: z.string(), region: z.string().nullish() })),
  faults: z.array(
    z.object({
      device: z.string(),
      model: z.string().optional(),
      kind: z.string(),
      category: z.enum(['machine', 'data_quality']),
      onset: isoTime,
      failure: isoTime.nullable(),
      end: isoTime.nullable(),
    }),
  ),
  heatWaves: z.array(z.object({ region: z.string(), start: isoTime, end: isoTime })),
});
export type Truth = z.infer<typeof truthSchema>;

export const ticketLineSchema = z.object({
  event: z.enum(['ticket_opened', 'ticket_updated', 'ticket_cleared']),
  at: isoTime,
  device: z.string(),
  model: z.string(),
  fault_code: z.string(),
  category: z.enum(['machine', 'data_quality']),
  priority: z.string(),
  metric: z.string(),
  predicted_failure_at: isoTime.nullable(),
});
export type TicketLine = z.infer<typeof ticketLineSchema>;

export interface ScoreOptions {
  /** A ticket this long before a fault's onset still counts for it (hours). */
  toleranceHours: number;
  /** A ticket this long before or after a heat wave still counts as during it (hours). */
  heatWaveMarginHours: number;
}

export const DEFAULT_SCORE_OPTIONS: ScoreOptions = { toleranceHours: 1, heatWaveMarginHours: 12 };

export interface Distribution {
  median: number | null;
  p10: number | null;
}

export interface MachineKindScore {
  faults: number;
  /** Faults whose failure falls within the data: the recall denominator. */
  scored: number;
  detected: number;
  recall: number | null;
  leadHours: Distribution;
  /** Lead time as a share of each fault's onset-to-failure span. */
  leadShare: Distribution;
  /** Faults failing after the data ends (or never), and how many of those were ticketed already. */
  failingLater: number;
  failingLaterDetected: number;
  /** Devices of missed faults (within the data). */
  missed: string[];
}

export interface DataQualityKindScore {
  faults: number;
  /** Faults that got a data-quality ticket during them. */
  ticketed: number;
  /** Machine tickets opened during them on devices without a machine fault: mistaken for machine faults. */
  mistaken: number;
}

export interface TargetCheck {
  name: string;
  target: string;
  value: number | null;
  met: boolean;
}

export interface ScoreReport {
  window: { start: string; end: string };
  devices: number;
  deviceDays: number;
  healthyDeviceDays: number;
  tickets: { opened: number; machine: number; dataQuality: number; byCode: Record<string, number> };
  machine: { byKind: Record<string, MachineKindScore>; total: MachineKindScore };
  falseTickets: {
    total: number;
    per1000DeviceDays: number;
    /** On devices that have no machine fault at all. */
    onHealthyDevices: number;
    duringHeatWaves: number;
    duringDataQualityFaults: number;
    /** Device, time and code of each, for a person to look at. */
    list: Array<{
      device: string;
      at: string;
      fault_code: string;
      cause: 'heat_wave' | 'data_quality' | 'none';
    }>;
  };
  lateTickets: number;
  duplicates: number;
  dataQuality: { byKind: Record<string, DataQualityKindScore>; ticketsWithoutFault: number };
  targets: TargetCheck[];
}

interface TimedFault {
  kind: string;
  onset: number;
  failure: number | null;
  end: number | null;
}

function distribution(values: number[]): Distribution {
  return values.length === 0
    ? { median: null, p10: null }
    : { median: median(values), p10: quantile(values, 0.1) };
}

function emptyKind(): MachineKindScore {
  return {
    faults: 0,
    scored: 0,
    detected: 0,
    recall: null,
    leadHours: { median: null, p10: null },
    leadShare: { median: null, p10: null },
    failingLater: 0,
    failingLaterDetected: 0,
    missed: [],
  };
}

/** Scores ticket lines against the truth. */
export function scoreTickets(
  lines: readonly TicketLine[],
  truth: Truth,
  options = DEFAULT_SCORE_OPTIONS,
): ScoreReport {
  const start = Date.parse(truth.start);
  const end = Date.parse(truth.end);
  const tolerance = options.toleranceHours * HOUR;
  const margin = options.heatWaveMarginHours * HOUR;
  const regionOf = new Map(truth.devices.map((d) => [d.id, d.region ?? null]));

  const machineFaults = new Map<string, TimedFault>();
  const qualityFaults = new Map<string, TimedFault[]>();
  for (const f of truth.faults) {
    const fault = {
      kind: f.kind,
      onset: Date.parse(f.onset),
      failure: f.failure === null ? null : Date.parse(f.failure),
      end: f.end === null ? null : Date.parse(f.end),
    };
    if (f.category === 'machine') machineFaults.set(f.device, fault);
    else qualityFaults.set(f.device, [...(qualityFaults.get(f.device) ?? []), fault]);
  }
  const heatWaves = truth.heatWaves.map((w) => ({
    region: w.region,
    start: Date.parse(w.start),
    end: Date.parse(w.end),
  }));

  const opened = lines
    .filter((l) => l.event === 'ticket_opened')
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const byCode: Record<string, number> = {};
  for (const line of opened) byCode[line.fault_code] = (byCode[line.fault_code] ?? 0) + 1;

  const firstDetection = new Map<string, number>();
  const falseList: ScoreReport['falseTickets']['list'] = [];
  let duplicates = 0;
  let late = 0;
  const mistakenByDevice = new Map<string, number>();
  const qualityTicketed = new Set<TimedFault>();
  let qualityWithoutFault = 0;

  const qualityFaultAt = (device: string, at: number) =>
    (qualityFaults.get(device) ?? []).find(
      (f) => at >= f.onset - tolerance && at <= (f.end ?? end) + tolerance,
    );

  for (const line of opened) {
    const at = Date.parse(line.at);
    if (line.category === 'data_quality') {
      const fault = qualityFaultAt(line.device, at);
      if (fault) qualityTicketed.add(fault);
      else qualityWithoutFault++;
      continue;
    }
    const fault = machineFaults.get(line.device);
    const failure = fault ? (fault.failure ?? Number.POSITIVE_INFINITY) : Number.NaN;
    if (fault && at >= fault.onset - tolerance && at <= failure) {
      if (firstDetection.has(line.device)) duplicates++;
      else firstDetection.set(line.device, at);
      continue;
    }
    if (fault && at > failure) {
      late++;
      continue;
    }
    const region = regionOf.get(line.device);
    const heat = heatWaves.some((w) => w.region === region && at >= w.start - margin && at <= w.end + margin);
    const quality = qualityFaultAt(line.device, at);
    if (quality) mistakenByDevice.set(line.device, (mistakenByDevice.get(line.device) ?? 0) + 1);
    falseList.push({
      device: line.device,
      at: line.at,
      fault_code: line.fault_code,
      cause: heat ? 'heat_wave' : quality ? 'data_quality' : 'none',
    });
  }

  // Per kind, then all kinds together: the same tally over different groups of faults.
  const tally = (faults: Array<[string, TimedFault]>): MachineKindScore => {
    const score = emptyKind();
    const hours: number[] = [];
    const shares: number[] = [];
    for (const [device, fault] of faults) {
      score.faults++;
      const detectedAt = firstDetection.get(device);
      if (fault.failure === null || fault.failure > end) {
        score.failingLater++;
        if (detectedAt !== undefined) score.failingLaterDetected++;
        continue;
      }
      score.scored++;
      if (detectedAt === undefined) {
        score.missed.push(device);
        continue;
      }
      score.detected++;
      hours.push((fault.failure - detectedAt) / HOUR);
      shares.push((fault.failure - detectedAt) / Math.max(1, fault.failure - fault.onset));
    }
    score.recall = score.scored === 0 ? null : score.detected / score.scored;
    score.leadHours = distribution(hours);
    score.leadShare = distribution(shares);
    return score;
  };
  const faultList = [...machineFaults];
  const kinds = [...new Set(faultList.map(([, fault]) => fault.kind))];
  const byKind = Object.fromEntries(
    kinds.map((kind) => [kind, tally(faultList.filter(([, f]) => f.kind === kind))]),
  );
  const total = tally(faultList);

  const deviceDays = (truth.devices.length * (end - start)) / DAY;
  let faultyDays = 0;
  for (const fault of machineFaults.values()) {
    const from = Math.max(start, fault.onset - tolerance);
    const to = Math.min(end, fault.failure ?? end);
    if (to > from) faultyDays += (to - from) / DAY;
  }
  const healthyDeviceDays = deviceDays - faultyDays;

  const dataQuality: Record<string, DataQualityKindScore> = {};
  for (const [device, faults] of qualityFaults) {
    for (const fault of faults) {
      dataQuality[fault.kind] ??= { faults: 0, ticketed: 0, mistaken: 0 };
      const entry = dataQuality[fault.kind];
      entry.faults++;
      if (qualityTicketed.has(fault)) entry.ticketed++;
      entry.mistaken += falseList.filter(
        (f) =>
          f.device === device &&
          Date.parse(f.at) >= fault.onset - tolerance &&
          Date.parse(f.at) <= (fault.end ?? end) + tolerance,
      ).length;
    }
  }

  const falseTotal = falseList.length;
  const per1000 = healthyDeviceDays > 0 ? (falseTotal / healthyDeviceDays) * 1000 : 0;
  const duringHeat = falseList.filter((f) => f.cause === 'heat_wave').length;
  const mistaken = [...mistakenByDevice.values()].reduce((a, b) => a + b, 0);
  const targets: TargetCheck[] = [
    {
      name: 'recall',
      target: '>= 98%',
      value: total.recall,
      met: total.recall !== null && total.recall >= 0.98,
    },
    ...Object.entries(byKind)
      .filter(([, s]) => s.leadShare.median !== null)
      .map(([kind, s]) => ({
        name: `median lead share ${kind}`,
        target: '>= 50% of onset-to-failure',
        value: s.leadShare.median,
        met: (s.leadShare.median ?? 0) >= 0.5,
      })),
    { name: 'false tickets per 1000 device-days', target: '<= 0.5', value: per1000, met: per1000 <= 0.5 },
    { name: 'tickets during heat waves', target: '0', value: duringHeat, met: duringHeat === 0 },
    { name: 'duplicates', target: '0', value: duplicates, met: duplicates === 0 },
  ];

  return {
    window: { start: truth.start, end: truth.end },
    devices: truth.devices.length,
    deviceDays,
    healthyDeviceDays,
    tickets: {
      opened: opened.length,
      machine: opened.filter((l) => l.category === 'machine').length,
      dataQuality: opened.filter((l) => l.category === 'data_quality').length,
      byCode,
    },
    machine: { byKind: sortKinds(byKind, MACHINE_FAULT_KINDS), total },
    falseTickets: {
      total: falseTotal,
      per1000DeviceDays: per1000,
      onHealthyDevices: falseList.filter((f) => !machineFaults.has(f.device)).length,
      duringHeatWaves: duringHeat,
      duringDataQualityFaults: mistaken,
      list: falseList,
    },
    lateTickets: late,
    duplicates,
    dataQuality: {
      byKind: sortKinds(dataQuality, DATA_QUALITY_FAULT_KINDS),
      ticketsWithoutFault: qualityWithoutFault,
    },
    targets,
  };
}

function sortKinds<T>(record: Record<string, T>, order: readonly string[]): Record<string, T> {
  const rank = (kind: string) => (order.includes(kind) ? order.indexOf(kind) : order.length);
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)),
  );
}

/** Parses JSON lines of ticket events; every bad line is reported as `line N: path: message`. */
export function parseTicketLines(text: string): TicketLine[] {
  const lines: TicketLine[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '') return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    const parsed = ticketLineSchema.safeParse(value);
    if (parsed.success) lines.push(parsed.data);
    else
      problems.push(
        ...parsed.error.issues.map((issue) => `line ${i + 1}: ${issue.path.join('.')}: ${issue.message}`),
      );
  });
  if (problems.length > 0) throw new Error(`ticket events:\n  ${problems.slice(0, 20).join('\n  ')}`);
  return lines;
}

/** Validates a truth file's content. */
export function parseTruth(value: unknown): Truth {
  const parsed = truthSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new Error(`truth file:\n  ${problems.slice(0, 20).join('\n  ')}`);
}
