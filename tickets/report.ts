/** The service manager's measures and the monthly R&D report, computed from tickets. Pure functions. */
import { isActive, type Ticket } from './types.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export interface RuleFalseAlarms {
  /** The detector's fault code, i.e. the rule that opened the tickets. */
  faultCode: string;
  proactiveTickets: number;
  noFaultFound: number;
  rate: number;
}

/** How one service partner performed: volume, completion time, customer score. */
export interface OutletPerformance {
  outletId: string;
  tickets: number;
  resolved: number;
  mttrHours: number | null;
  csatAverage: number | null;
}

export interface TicketStats {
  from: number;
  to: number;
  opened: number;
  proactive: number;
  reactive: number;
  /** Share of opened tickets that came from findings, 0–1, or null when none opened. */
  proactiveShare: number | null;
  byStatus: Record<string, number>;
  byPriority: Record<string, number>;
  /** Mean time from opening to resolution over tickets a technician resolved, hours. */
  mttrHours: number | null;
  /** Mean time from opening to the first response of a person, minutes. */
  firstResponseMinutes: number | null;
  /** Share of decided tickets (finished, or already breached) that never missed a deadline. */
  slaCompliance: { decided: number; compliant: number; rate: number | null };
  firstTimeFix: { resolved: number; firstTime: number; rate: number | null };
  /** False alarms: proactive tickets closed as no fault found, per rule, worst first. */
  noFaultFoundByRule: RuleFalseAlarms[];
  satisfaction: {
    csatResponses: number;
    csatAverage: number | null;
    npsResponses: number;
    npsAverage: number | null;
    /** % promoters (9–10) − % detractors (0–6), −100…100. */
    npsScore: number | null;
  };
  /** Per assigned outlet, most tickets first. */
  outlets: OutletPerformance[];
}

const mean = (values: number[]): number | null =>
  values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0) / values.length;

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

function countBy(tickets: readonly Ticket[], key: (ticket: Ticket) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const ticket of tickets) counts[key(ticket)] = (counts[key(ticket)] ?? 0) + 1;
  return counts;
}

/** Measures over the tickets opened in [from, to); `tickets` may hold others, they are ignored. */
export function ticketStats(tickets: readonly Ticket[], from: number, to: number): TicketStats {
  const opened = tickets.filter((t) => t.openedAt >= from && t.openedAt < to);
  const proactive = opened.filter((t) => t.kind === 'proactive');
  const repaired = opened.filter((t) => t.resolution !== null && t.resolvedAt !== null);
  const responded = opened.filter((t) => t.firstResponseAt !== null);
  // An open ticket that has missed nothing yet may still go either way, so it is left out.
  const decided = opened.filter((t) => t.slaBreaches.length > 0 || !isActive(t.status));
  const compliant = decided.filter((t) => t.slaBreaches.length === 0).length;
  const firstTime = repaired.filter((t) => t.resolution?.firstTimeFix).length;

  const rules = new Map<string, { total: number; nff: number }>();
  for (const ticket of proactive) {
    const code = ticket.faultCode ?? 'unknown';
    const rule = rules.get(code) ?? { total: 0, nff: 0 };
    rule.total += 1;
    if (ticket.status === 'no_fault_found') rule.nff += 1;
    rules.set(code, rule);
  }
  const noFaultFoundByRule = [...rules]
    .map(([faultCode, r]) => ({
      faultCode,
      proactiveTickets: r.total,
      noFaultFound: r.nff,
      rate: r.nff / r.total,
    }))
    .sort(
      (a, b) => b.noFaultFound - a.noFaultFound || b.rate - a.rate || a.faultCode.localeCompare(b.faultCode),
    );

  const csatOf = (tickets: readonly Ticket[]) =>
    tickets.flatMap((t) => (t.feedback?.csat == null ? [] : [t.feedback.csat]));
  const repairHours = (tickets: readonly Ticket[]) =>
    tickets.flatMap((t) =>
      t.resolution !== null && t.resolvedAt !== null ? [(t.resolvedAt - t.openedAt) / HOUR_MS] : [],
    );
  const csat = csatOf(opened);
  const nps = opened.flatMap((t) => (t.feedback?.nps == null ? [] : [t.feedback.nps]));

  const byOutlet = new Map<string, Ticket[]>();
  for (const ticket of opened) {
    if (ticket.outletId === null) continue;
    byOutlet.set(ticket.outletId, [...(byOutlet.get(ticket.outletId) ?? []), ticket]);
  }
  const outlets = [...byOutlet]
    .map(([outletId, tickets]) => ({
      outletId,
      tickets: tickets.length,
      resolved: repairHours(tickets).length,
      mttrHours: mean(repairHours(tickets)),
      csatAverage: mean(csatOf(tickets)),
    }))
    .sort((a, b) => b.tickets - a.tickets || a.outletId.localeCompare(b.outletId));
  const promoters = nps.filter((n) => n >= 9).length;
  const detractors = nps.filter((n) => n <= 6).length;

  return {
    from,
    to,
    opened: opened.length,
    proactive: proactive.length,
    reactive: opened.length - proactive.length,
    proactiveShare: ratio(proactive.length, opened.length),
    byStatus: countBy(opened, (t) => t.status),
    byPriority: countBy(opened, (t) => t.priority),
    mttrHours: mean(repairHours(repaired)),
    firstResponseMinutes: mean(
      responded.map((t) => ((t.firstResponseAt as number) - t.openedAt) / MINUTE_MS),
    ),
    slaCompliance: { decided: decided.length, compliant, rate: ratio(compliant, decided.length) },
    firstTimeFix: { resolved: repaired.length, firstTime, rate: ratio(firstTime, repaired.length) },
    noFaultFoundByRule,
    satisfaction: {
      csatResponses: csat.length,
      csatAverage: mean(csat),
      npsResponses: nps.length,
      npsAverage: mean(nps),
      npsScore: nps.length === 0 ? null : ((promoters - detractors) / nps.length) * 100,
    },
    outlets,
  };
}

export interface ModelFaults {
  model: string;
  /** Machine tickets on this model in the month that found a fault. */
  tickets: number;
  /** The three most frequent fault codes, most frequent first. */
  topFaults: { faultCode: string; count: number; share: number }[];
}

export interface MonthlyReport {
  /** `YYYY-MM`, UTC. */
  month: string;
  models: ModelFaults[];
}

/** [start, end) of a `YYYY-MM` month in UTC, or null when the text is not one. */
export function monthRange(month: string): { from: number; to: number } | null {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) return null;
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return { from: Date.UTC(year, index, 1), to: Date.UTC(year, index + 1, 1) };
}

/**
 * The top-3 fault types per model for R&D: machine tickets opened in the month, counted by the fault
 * the technician found (the detector's code until then); tickets that found no fault are left out.
 */
export function monthlyFaultReport(tickets: readonly Ticket[], month: string): MonthlyReport {
  const range = monthRange(month);
  if (!range) throw new RangeError(`month '${month}' is not YYYY-MM`);
  const byModel = new Map<string, Map<string, number>>();
  for (const ticket of tickets) {
    if (ticket.openedAt < range.from || ticket.openedAt >= range.to) continue;
    if (ticket.category !== 'machine' || ticket.status === 'no_fault_found' || ticket.status === 'cancelled')
      continue;
    const fault = ticket.resolution?.faultCode ?? ticket.faultCode;
    if (fault === null) continue;
    const faults = byModel.get(ticket.model) ?? new Map<string, number>();
    faults.set(fault, (faults.get(fault) ?? 0) + 1);
    byModel.set(ticket.model, faults);
  }
  const models = [...byModel]
    .map(([model, faults]): ModelFaults => {
      const total = [...faults.values()].reduce((sum, n) => sum + n, 0);
      const topFaults = [...faults]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, 3)
        .map(([faultCode, count]) => ({ faultCode, count, share: count / total }));
      return { model, tickets: total, topFaults };
    })
    .sort((a, b) => a.model.localeCompare(b.model));
  return { month, models };
}
