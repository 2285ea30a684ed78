/**
 * Where tickets live. Every backend (embedded SQLite now, PostgreSQL later) implements this port and
 * passes the contract suite in test/tickets/store-contract.ts. The store, not the service, enforces
 * the invariants that must hold across processes: one active ticket per device and fault code, and a
 * finding recorded once.
 */
import type { FindingCategory } from '../rules/finding.js';
import type { PastFix } from './knowledge.js';
import type {
  HistoryEntry,
  NewTicket,
  Outlet,
  Priority,
  StoredFinding,
  Ticket,
  TicketKind,
  TicketStatus,
  WebhookDelivery,
  WebhookTarget,
} from './types.js';

export interface TicketFilter {
  status?: readonly TicketStatus[];
  priority?: readonly Priority[];
  device?: string;
  category?: FindingCategory;
  kind?: TicketKind;
  outletId?: string;
  /** Only tickets opened at or after this time. */
  openedFrom?: number;
  /** Only tickets opened before this time. */
  openedTo?: number;
  /** Only tickets whose follow-up call is still due. */
  followUpDue?: boolean;
  /** Most tickets returned, newest first; all when omitted. */
  limit?: number;
  offset?: number;
}

export interface FindingFilter {
  device?: string;
  state?: 'active' | 'cleared';
  faultCode?: string;
  ticketId?: string;
  /** Most findings returned, newest data time first. */
  limit: number;
}

export interface DeliveryFilter {
  webhookId?: string;
  state?: WebhookDelivery['state'];
  /** Most deliveries returned, newest first. */
  limit: number;
}

/** What a ticket write records along with the ticket itself, in the same transaction. */
export interface TicketWrite {
  history: readonly HistoryEntry[];
  /** The finding behind the change; its `ticketId` is filled in by the store. */
  finding?: StoredFinding;
}

export type CreateOutcome =
  | { outcome: 'created'; ticket: Ticket }
  /** An active ticket already holds one of the new ticket's device and fault codes. */
  | { outcome: 'conflict'; existing: Ticket }
  /** The finding was recorded before: nothing was written. */
  | { outcome: 'duplicate_finding' };

export type UpdateOutcome =
  | { outcome: 'updated'; ticket: Ticket }
  /** The ticket changed since it was read, or a newly linked fault code is held by another ticket. */
  | { outcome: 'stale' }
  | { outcome: 'duplicate_finding' };

export interface TicketStore {
  /** Backend name for logs. */
  readonly kind: string;
  /** Creates tables as needed; must be called before anything else. */
  open(): Promise<void>;
  close(): Promise<void>;

  /** Stores a new ticket under a fresh `T-<n>` id with version 1, unless an active ticket holds one of its fault codes. */
  createTicket(ticket: NewTicket, write: TicketWrite): Promise<CreateOutcome>;
  /** Stores `ticket` if its `version` is still the stored one, bumping the version. */
  updateTicket(ticket: Ticket, write: TicketWrite): Promise<UpdateOutcome>;
  getTicket(id: string): Promise<Ticket | null>;
  getTicketByStatusToken(token: string): Promise<Ticket | null>;
  /** The active ticket covering this device and fault code, if any. */
  findActiveTicket(device: string, faultCode: string): Promise<Ticket | null>;
  /** Newest first. */
  listTickets(filter: TicketFilter): Promise<Ticket[]>;
  /** The ticket's history, oldest first. */
  history(ticketId: string): Promise<HistoryEntry[]>;

  /** Records a finding that changed no ticket; false when it was recorded before. */
  recordFinding(finding: StoredFinding): Promise<boolean>;
  listFindings(filter: FindingFilter): Promise<StoredFinding[]>;
  /** Resolutions of past tickets on `model` opened for, or diagnosed as, `faultCode`. */
  pastFixes(model: string, faultCode: string): Promise<PastFix[]>;

  /** Inserts or replaces an outlet. */
  saveOutlet(outlet: Outlet): Promise<void>;
  getOutlet(id: string): Promise<Outlet | null>;
  listOutlets(): Promise<Outlet[]>;
  deleteOutlet(id: string): Promise<boolean>;
  /** Active tickets assigned to each outlet that has any. */
  outletLoad(): Promise<Map<string, number>>;

  saveWebhook(target: WebhookTarget): Promise<void>;
  listWebhooks(): Promise<WebhookTarget[]>;
  deleteWebhook(id: string): Promise<boolean>;
  /** Inserts or replaces a delivery and its attempts. */
  saveDelivery(delivery: WebhookDelivery): Promise<void>;
  listDeliveries(filter: DeliveryFilter): Promise<WebhookDelivery[]>;
}
