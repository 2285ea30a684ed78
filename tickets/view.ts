/** How tickets look outside the process (HTTP, webhooks): times as ISO-8601 UTC, nothing else changed. */
import type { FixSuggestion } from './knowledge.js';
import type {
  HistoryEntry,
  Outlet,
  SlaBreach,
  StoredFinding,
  Ticket,
  TicketChange,
  TicketCondition,
  TicketStatus,
  WebhookDelivery,
  WebhookTarget,
} from './types.js';

/** Epoch ms → ISO-8601 UTC. */
export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function conditionView(condition: TicketCondition) {
  return { ...condition, at: iso(condition.at), predictedFailureAt: isoOrNull(condition.predictedFailureAt) };
}

export function breachView(breach: SlaBreach) {
  return { ...breach, dueAt: iso(breach.dueAt), at: iso(breach.at) };
}

export function historyView(entry: HistoryEntry) {
  return { ...entry, at: iso(entry.at) };
}

export function ticketView(ticket: Ticket) {
  return {
    ...ticket,
    predictedFailureAt: isoOrNull(ticket.predictedFailureAt),
    conditions: ticket.conditions.map(conditionView),
    conditionClearedAt: isoOrNull(ticket.conditionClearedAt),
    openedAt: iso(ticket.openedAt),
    updatedAt: iso(ticket.updatedAt),
    firstResponseAt: isoOrNull(ticket.firstResponseAt),
    resolvedAt: isoOrNull(ticket.resolvedAt),
    closedAt: isoOrNull(ticket.closedAt),
    respondDueAt: iso(ticket.respondDueAt),
    resolveDueAt: iso(ticket.resolveDueAt),
    slaBreaches: ticket.slaBreaches.map(breachView),
    feedback: ticket.feedback && { ...ticket.feedback, at: iso(ticket.feedback.at) },
    followUp: ticket.followUp && {
      ...ticket.followUp,
      dueSince: iso(ticket.followUp.dueSince),
      doneAt: isoOrNull(ticket.followUp.doneAt),
    },
  };
}

export function changeView(change: TicketChange) {
  return { kind: change.kind, at: iso(change.at), entries: change.entries.map(historyView) };
}

export function findingView({ key, ticketId, finding }: StoredFinding) {
  return {
    key,
    ticketId,
    ...finding,
    at: iso(finding.at),
    predictedFailureAt: isoOrNull(finding.predictedFailureAt),
  };
}

export function suggestionView(suggestion: FixSuggestion) {
  return { ...suggestion, lastUsedAt: iso(suggestion.lastUsedAt) };
}

/** A webhook target as listed: the secret never leaves the server after creation. */
export function webhookTargetView({ secret: _secret, ...target }: WebhookTarget) {
  return { ...target, createdAt: iso(target.createdAt) };
}

export function deliveryView(delivery: WebhookDelivery) {
  return {
    ...delivery,
    createdAt: iso(delivery.createdAt),
    nextAttemptAt: isoOrNull(delivery.nextAttemptAt),
    attempts: delivery.attempts.map((a) => ({ ...a, at: iso(a.at) })),
  };
}

export function outletView(outlet: Outlet, activeTickets: number) {
  return { ...outlet, createdAt: iso(outlet.createdAt), activeTickets };
}

/** What each status means to a customer. */
const STATUS_WORDS: Record<TicketStatus, string> = {
  open: 'We have registered the case.',
  acknowledged: 'A service agent has taken the case.',
  dispatched: 'A technician has been sent.',
  in_progress: 'The technician is working on it.',
  resolved: 'The fault has been repaired.',
  closed: 'The case is closed.',
  cancelled: 'The case was cancelled.',
  no_fault_found: 'The unit was checked and no fault was found.',
};

/**
 * The customer's read-only view behind the status link: progress and promises, not internal notes,
 * actors or the token itself.
 */
export function publicStatusView(ticket: Ticket, history: readonly HistoryEntry[], outlet: Outlet | null) {
  return {
    ticket: ticket.id,
    device: ticket.device,
    model: ticket.model,
    title: ticket.title,
    status: ticket.status,
    statusText: STATUS_WORDS[ticket.status],
    openedAt: iso(ticket.openedAt),
    respondBy: ticket.firstResponseAt === null ? iso(ticket.respondDueAt) : null,
    resolveBy: ticket.resolvedAt === null && ticket.closedAt === null ? iso(ticket.resolveDueAt) : null,
    servicePartner: outlet ? outlet.name : null,
    steps: history
      .filter((entry) => entry.action === 'opened' || entry.action === 'status')
      .map((entry) => ({
        status: entry.to,
        at: iso(entry.at),
        text: STATUS_WORDS[entry.to as TicketStatus],
      })),
    updatedAt: iso(ticket.updatedAt),
  };
}
