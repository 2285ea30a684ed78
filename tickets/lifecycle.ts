/**
 * Which status changes a person may make. The closed loop runs open → acknowledged → dispatched →
 * in_progress → resolved → closed; steps may be skipped forward (a technician on site can start work
 * on an open ticket), never taken back. cancelled and no_fault_found end a ticket that is still being
 * worked; resolved can only be closed.
 */
import type { TicketStatus } from './types.js';

const ENDINGS: TicketStatus[] = ['cancelled', 'no_fault_found'];

export const ALLOWED_TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  open: ['acknowledged', 'dispatched', 'in_progress', ...ENDINGS],
  acknowledged: ['dispatched', 'in_progress', ...ENDINGS],
  dispatched: ['in_progress', ...ENDINGS],
  in_progress: ['resolved', ...ENDINGS],
  resolved: ['closed'],
  closed: [],
  cancelled: [],
  no_fault_found: [],
};

/** Why `from → to` is not allowed, in words, or null when it is. */
export function transitionProblem(from: TicketStatus, to: TicketStatus): string | null {
  if (from === to) return `the ticket is already ${from}`;
  const allowed = ALLOWED_TRANSITIONS[from];
  if (allowed.includes(to)) return null;
  if (allowed.length === 0) return `the ticket is ${from}; it cannot change any more`;
  return `a ticket cannot go from ${from} to ${to}; from ${from} it can go to ${allowed.join(', ')}`;
}
