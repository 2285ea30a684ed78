/** The service-ticket domain: tickets, their history, outlets and webhook targets. Times are epoch ms. */
import type { Finding, FindingCategory, Severity } from '../rules/finding.js';

export const PRIORITIES = ['P1', 'P2', 'P3'] as const;
/** P1 is the most urgent. */
export type Priority = (typeof PRIORITIES)[number];

export const TICKET_STATUSES = [
  'open',
  'acknowledged',
  'dispatched',
  'in_progress',
  'resolved',
  'closed',
  'cancelled',
  'no_fault_found',
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** Statuses in which someone still has to act; at most one such ticket per device and fault code. */
export const ACTIVE_STATUSES: readonly TicketStatus[] = ['open', 'acknowledged', 'dispatched', 'in_progress'];

export function isActive(status: TicketStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** Proactive tickets come from findings; reactive ones were reported by a customer or a person. */
export type TicketKind = 'proactive' | 'reactive';

/** One fault condition a ticket covers: its own finding, or a related finding linked to it. */
export interface TicketCondition {
  faultCode: string;
  metric: string;
  severity: Severity;
  /** Whether the detector still sees the condition. */
  state: 'active' | 'cleared';
  /** Data time of the latest finding for this condition. */
  at: number;
  /** The latest prediction of when the metric reaches its critical level, or null. */
  predictedFailureAt: number | null;
}

export interface Part {
  /** Part or SKU number as the parts catalogue knows it. */
  partNumber: string;
  quantity: number;
}

/** What the technician did; required to resolve a ticket. */
export interface Resolution {
  /** The fix, as a code from the service organisation's catalogue (e.g. `REPLACE-BEARING`). */
  resolutionCode: string;
  /** The fault the technician found (may differ from the detector's code). */
  faultCode: string;
  parts: Part[];
  /** Fixed at the first visit, without a return trip. */
  firstTimeFix: boolean;
}

/** The customer's verdict, given when the ticket closes or afterwards. */
export interface Feedback {
  /** Customer satisfaction, 1–5. */
  csat: number | null;
  /** Net promoter score answer, 0–10. */
  nps: number | null;
  comment: string | null;
  at: number;
}

/** A follow-up call owed to an unhappy customer. */
export interface FollowUp {
  reason: string;
  /** When it was flagged. */
  dueSince: number;
  /** When someone made the call, or null while it is still due. */
  doneAt: number | null;
}

export type SlaClock = 'respond' | 'resolve';

/** A missed deadline and the escalation it caused. */
export interface SlaBreach {
  clock: SlaClock;
  /** The deadline that was missed. */
  dueAt: number;
  /** When the breach was detected. */
  at: number;
  priorityBefore: Priority;
  priorityAfter: Priority;
}

export interface Ticket {
  /** `T-<n>`, assigned by the store. */
  id: string;
  kind: TicketKind;
  device: string;
  model: string;
  /** The fault code the ticket was opened for; null for a reactive ticket whose fault is not known yet. */
  faultCode: string | null;
  category: FindingCategory;
  /** The metric of the opening finding; null for reactive tickets. */
  metric: string | null;
  /** The highest severity seen; null for reactive tickets. */
  severity: Severity | null;
  priority: Priority;
  /** The earliest predicted failure among the active conditions, or null. */
  predictedFailureAt: number | null;
  status: TicketStatus;
  title: string;
  description: string | null;
  /** Who reported a reactive ticket, or `rules` for proactive ones. */
  reportedBy: string;
  /** Everything the ticket covers (proactive); the first is the opening finding's. */
  conditions: TicketCondition[];
  /** When every condition had cleared, or null while one still holds. */
  conditionClearedAt: number | null;
  openedAt: number;
  updatedAt: number;
  /** The first action of a person on the ticket. */
  firstResponseAt: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  /** Respond by this time (first response), per the SLA of the current priority. */
  respondDueAt: number;
  /** Resolve by this time, per the SLA of the current priority. */
  resolveDueAt: number;
  slaBreaches: SlaBreach[];
  outletId: string | null;
  technician: string | null;
  resolution: Resolution | null;
  feedback: Feedback | null;
  followUp: FollowUp | null;
  /** Unguessable token for the customer's read-only status link. */
  statusToken: string;
  /** Optimistic-concurrency counter, bumped by every stored change. */
  version: number;
}

/** A ticket before the store has given it an id and a version. */
export type NewTicket = Omit<Ticket, 'id' | 'version'>;

export type HistoryAction =
  | 'opened'
  | 'status'
  | 'priority'
  | 'assigned'
  | 'finding'
  | 'condition_cleared'
  | 'condition_returned'
  | 'sla_breach'
  | 'resolution'
  | 'feedback'
  | 'follow_up'
  | 'note';

/** One change to a ticket: who, when, what, and why. */
export interface HistoryEntry {
  at: number;
  /** A person's name, or `system:<part>` for automatic changes. */
  actor: string;
  action: HistoryAction;
  /** Value before the change (status, priority, outlet…), where there is one. */
  from: string | null;
  /** Value after the change. */
  to: string | null;
  note: string;
}

/** Why a ticket changed, as carried by `ticketUpdated`. */
export type TicketChangeKind =
  | 'finding'
  | 'cleared'
  | 'status'
  | 'assignment'
  | 'sla_breach'
  | 'feedback'
  | 'follow_up'
  | 'note';

export interface TicketChange {
  kind: TicketChangeKind;
  at: number;
  /** The history entries the change wrote. */
  entries: HistoryEntry[];
}

/** A finding as the ticket store keeps it, linked to the ticket it opened or updated (if any). */
export interface StoredFinding {
  /** Identity of the finding: the same finding delivered twice has the same key. */
  key: string;
  ticketId: string | null;
  finding: Finding;
}

/** What the ticket service hands back for each finding, and what replay prints. */
export interface TicketEvent {
  event: 'ticket_opened' | 'ticket_updated' | 'ticket_cleared';
  /** The finding's data time, epoch ms. */
  at: number;
  ticket: Ticket;
}

export interface Outlet {
  id: string;
  name: string;
  lat: number;
  lon: number;
  /** Most active tickets the outlet takes at once. */
  capacity: number;
  /** Model ids the outlet's technicians can service. */
  skills: string[];
  /** Partner rating, 0–5; breaks distance ties. */
  rating: number;
  createdAt: number;
}

export const WEBHOOK_EVENTS = ['ticket.opened', 'ticket.updated'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookTarget {
  id: string;
  url: string;
  /** HMAC-SHA256 key for the `X-Forewarn-Signature` header. */
  secret: string;
  events: WebhookEvent[];
  /** `api` when created over HTTP, `config` when it came from the configuration file. */
  source: 'api' | 'config';
  createdAt: number;
}

export interface DeliveryAttempt {
  at: number;
  /** HTTP status, or null when no response came. */
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** One event sent to one target, with every attempt made. */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  event: WebhookEvent;
  ticketId: string;
  /** The exact bytes sent, so a retry carries the same signature. */
  body: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
  createdAt: number;
  /** When the next attempt is due while pending. */
  nextAttemptAt: number | null;
}
