import type { SlaBreach, Ticket, TicketChange } from '../tickets/types.js';
import type { Device, IngestReject, ReadingBatch } from './types.js';

/** Every event that crosses module boundaries, with its arguments. */
export interface EventMap {
  /** Readings are durably stored. */
  readingsStored: [batch: ReadingBatch];
  /** Ingest refused a message or part of one. */
  readingRejected: [reject: IngestReject];
  /** A device connected, disconnected or published its status. */
  deviceAvailability: [change: { device: string; online: boolean; at: number }];
  deviceRegistered: [device: Device];
  deviceRemoved: [deviceId: string];
  /** A device got a new token; sessions opened with the old one must end. */
  deviceTokenRotated: [deviceId: string];
  /** A ticket was opened, by a finding or by a person. */
  ticketOpened: [ticket: Ticket];
  /** A ticket changed (finding, cleared condition, status, assignment, SLA escalation, feedback…). */
  ticketUpdated: [ticket: Ticket, change: TicketChange];
  /** A ticket missed an SLA deadline; `ticket` is already escalated. */
  slaBreached: [ticket: Ticket, breach: SlaBreach];
}
