/**
 * How a finding shapes a proactive ticket: the draft it opens and the change it makes to the ticket
 * already open for it. Pure functions; the service stores what they return.
 *
 * A `cleared` finding means the condition went away. When every condition on a ticket has cleared the
 * change is `ticket_cleared`: a data-quality ticket (OFFLINE, SENSOR-STUCK…) then closes by itself,
 * because the link or sensor recovered and nobody has to go out; a machine ticket stays with the
 * technician (a bearing that stopped rattling has not healed) and records when the condition cleared.
 */
import type { Finding, Severity } from '../rules/finding.js';
import { moreUrgent, priorityForFinding } from './priority.js';
import { dueTimes, type SlaPolicy, tightenDueTimes } from './sla.js';
import type { HistoryEntry, NewTicket, Priority, Ticket, TicketCondition, TicketEvent } from './types.js';
import { iso } from './view.js';

/** The actor recorded for changes made by findings. */
export const RULES_ACTOR = 'system:rules';
/** A predicted failure time that moves less than this is stored silently, without an update event. */
export const PREDICTION_MOVE_MS = 3_600_000;

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Identity of a finding: a redelivered finding has the same key and changes nothing. */
export function findingKey(finding: Finding): string {
  return [finding.device, finding.faultCode, finding.metric, finding.state, finding.at].join('|');
}

function describeFinding(finding: Finding): string {
  const e = finding.evidence;
  const parts = [`${finding.metric} at ${round(e.current)}`];
  if (e.baseline !== undefined) parts.push(`baseline ${round(e.baseline)}`);
  if (e.slopePerHour !== undefined) parts.push(`trend ${round(e.slopePerHour)}/h`);
  if (e.zone !== undefined) parts.push(`ISO 10816 zone ${e.zone}`);
  if (e.limit !== undefined) parts.push(`limit ${round(e.limit)}`);
  if (finding.predictedFailureAt !== null)
    parts.push(`critical level predicted at ${iso(finding.predictedFailureAt)}`);
  if (e.note) parts.push(e.note);
  return parts.join('; ');
}

const round = (value: number) => Number(value.toPrecision(4));

function conditionOf(finding: Finding): TicketCondition {
  return {
    faultCode: finding.faultCode,
    metric: finding.metric,
    severity: finding.severity,
    state: finding.state,
    at: finding.at,
    predictedFailureAt: finding.predictedFailureAt,
  };
}

/** The earliest prediction among the conditions that still hold. */
function earliestPrediction(conditions: readonly TicketCondition[]): number | null {
  const predictions = conditions.flatMap((c) =>
    c.state === 'active' && c.predictedFailureAt !== null ? [c.predictedFailureAt] : [],
  );
  return predictions.length === 0 ? null : Math.min(...predictions);
}

/**
 * The ticket an active finding opens (without an outlet) and its first history entry. `recordedAt` is when the
 * platform opens it: the ticket and its SLA clocks start then, which is later than the finding's data time when
 * the readings arrived late (a device's backlog, history fed into a live platform).
 */
export function draftProactiveTicket(
  finding: Finding,
  policy: SlaPolicy,
  statusToken: string,
  recordedAt: number,
): { ticket: NewTicket; entry: HistoryEntry } {
  const priority = priorityForFinding(finding);
  const ticket: NewTicket = {
    kind: 'proactive',
    device: finding.device,
    model: finding.model,
    faultCode: finding.faultCode,
    category: finding.category,
    metric: finding.metric,
    severity: finding.severity,
    priority,
    predictedFailureAt: finding.predictedFailureAt,
    status: 'open',
    title: `${finding.faultCode} on ${finding.metric}`,
    description: describeFinding(finding),
    reportedBy: 'rules',
    conditions: [conditionOf(finding)],
    ...initialTicketState(policy, priority, recordedAt, statusToken),
  };
  const entry: HistoryEntry = {
    at: recordedAt,
    actor: RULES_ACTOR,
    action: 'opened',
    from: null,
    to: 'open',
    note: `${finding.severity} finding ${finding.faultCode}: ${ticket.description}; priority ${priority}`,
  };
  return { ticket, entry };
}

export interface FindingChange {
  /** The ticket after the finding; stored even when nothing notable changed (latest evidence). */
  ticket: Ticket;
  entries: HistoryEntry[];
  /** What to tell the world, or null when the finding only refreshed what the ticket already said. */
  event: TicketEvent['event'] | null;
}

/**
 * Applies a finding to the active ticket that covers its device and fault code, or a related one. A priority it
 * raises tightens the deadlines from `recordedAt`, when the platform takes the finding in (see draftProactiveTicket).
 */
export function applyFinding(
  ticket: Ticket,
  finding: Finding,
  policy: SlaPolicy,
  recordedAt: number,
): FindingChange {
  return finding.state === 'active'
    ? applyActive(ticket, finding, policy, recordedAt)
    : applyCleared(ticket, finding);
}

function applyActive(ticket: Ticket, finding: Finding, policy: SlaPolicy, recordedAt: number): FindingChange {
  const at = finding.at;
  const entries: HistoryEntry[] = [];
  const note = (
    action: HistoryEntry['action'],
    text: string,
    from: string | null = null,
    to: string | null = null,
  ) => entries.push({ at, actor: RULES_ACTOR, action, from, to, note: text });

  const existing = ticket.conditions.find((c) => c.faultCode === finding.faultCode);
  if (!existing) {
    note('finding', `${finding.severity} finding ${finding.faultCode} linked: ${describeFinding(finding)}`);
  } else if (existing.state === 'cleared') {
    note(
      'condition_returned',
      `${finding.faultCode} on ${finding.metric} is back: ${describeFinding(finding)}`,
    );
  } else if (SEVERITY_RANK[finding.severity] > SEVERITY_RANK[existing.severity]) {
    note(
      'finding',
      `${finding.faultCode} severity ${existing.severity} → ${finding.severity}: ${describeFinding(finding)}`,
    );
  }
  const conditions = existing
    ? ticket.conditions.map((c) => (c === existing ? conditionOf(finding) : c))
    : [...ticket.conditions, conditionOf(finding)];

  const predictedFailureAt = earliestPrediction(conditions);
  const before = ticket.predictedFailureAt;
  if (
    (before === null) !== (predictedFailureAt === null) ||
    (before !== null &&
      predictedFailureAt !== null &&
      Math.abs(before - predictedFailureAt) >= PREDICTION_MOVE_MS)
  ) {
    note(
      'finding',
      predictedFailureAt === null
        ? 'no failure predicted any more'
        : `critical level now predicted at ${iso(predictedFailureAt)}`,
      before === null ? null : iso(before),
      predictedFailureAt === null ? null : iso(predictedFailureAt),
    );
  }

  let next: Ticket = {
    ...ticket,
    conditions,
    predictedFailureAt,
    conditionClearedAt: null,
    severity:
      ticket.severity === null || SEVERITY_RANK[finding.severity] > SEVERITY_RANK[ticket.severity]
        ? finding.severity
        : ticket.severity,
  };
  const priority = moreUrgent(ticket.priority, priorityForFinding(finding));
  if (priority !== ticket.priority) {
    note('priority', `raised by ${finding.severity} finding ${finding.faultCode}`, ticket.priority, priority);
    next = { ...next, priority, ...tightenDueTimes(policy, ticket, priority, recordedAt) };
  }
  const notable = entries.length > 0;
  return {
    ticket: notable ? { ...next, updatedAt: Math.max(ticket.updatedAt, at) } : next,
    entries,
    event: notable ? 'ticket_updated' : null,
  };
}

function applyCleared(ticket: Ticket, finding: Finding): FindingChange {
  const at = finding.at;
  const existing = ticket.conditions.find((c) => c.faultCode === finding.faultCode);
  if (!existing || existing.state === 'cleared') return { ticket, entries: [], event: null };

  const conditions = ticket.conditions.map((c) =>
    c === existing ? { ...c, state: 'cleared' as const, at } : c,
  );
  const entries: HistoryEntry[] = [
    {
      at,
      actor: RULES_ACTOR,
      action: 'condition_cleared',
      from: 'active',
      to: 'cleared',
      note: `${finding.faultCode} on ${finding.metric} cleared: ${describeFinding(finding)}`,
    },
  ];
  const allCleared = conditions.every((c) => c.state === 'cleared');
  let next: Ticket = {
    ...ticket,
    conditions,
    predictedFailureAt: earliestPrediction(conditions),
    conditionClearedAt: allCleared ? at : null,
    updatedAt: Math.max(ticket.updatedAt, at),
  };
  if (allCleared && ticket.category === 'data_quality') {
    entries.push({
      at,
      actor: RULES_ACTOR,
      action: 'status',
      from: ticket.status,
      to: 'closed',
      note: 'closed by itself: the data-quality condition cleared',
    });
    next = { ...next, status: 'closed', closedAt: at };
  }
  return { ticket: next, entries, event: allCleared ? 'ticket_cleared' : 'ticket_updated' };
}

/** The lifecycle fields every new ticket starts with, proactive or reactive: open at `at`, nothing done yet. */
export function initialTicketState(policy: SlaPolicy, priority: Priority, at: number, statusToken: string) {
  return {
    conditionClearedAt: null,
    openedAt: at,
    updatedAt: at,
    firstResponseAt: null,
    resolvedAt: null,
    closedAt: null,
    ...dueTimes(policy, priority, at),
    slaBreaches: [],
    outletId: null,
    technician: null,
    resolution: null,
    feedback: null,
    followUp: null,
    statusToken,
  } satisfies Partial<NewTicket>;
}
