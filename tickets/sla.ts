/** SLA targets per priority and the deadline arithmetic on tickets. Pure functions; the monitor calls them. */
import { z } from 'zod';
import { escalate } from './priority.js';
import type { Priority, SlaBreach, SlaClock, Ticket } from './types.js';

const minutes = z.number().positive();
const target = z.object({
  /** Minutes until the first response is due. */
  respondMinutes: minutes,
  /** Minutes until the ticket must be resolved. */
  resolveMinutes: minutes,
});

export type SlaPolicy = Record<Priority, z.infer<typeof target>>;

/** P1: critical now or predicted within 24 h; P2: warning or predicted within 7 days; P3: the rest. */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  P1: { respondMinutes: 15, resolveMinutes: 4 * 60 },
  P2: { respondMinutes: 60, resolveMinutes: 24 * 60 },
  P3: { respondMinutes: 24 * 60, resolveMinutes: 72 * 60 },
};

/** The configurable policy; a priority left out keeps its default. A more urgent priority may not get longer targets. */
export const slaPolicySchema = z
  .object({
    P1: target.default(DEFAULT_SLA_POLICY.P1),
    P2: target.default(DEFAULT_SLA_POLICY.P2),
    P3: target.default(DEFAULT_SLA_POLICY.P3),
  })
  .superRefine((policy, ctx) => {
    for (const [urgent, relaxed] of [
      ['P1', 'P2'],
      ['P2', 'P3'],
    ] as const) {
      for (const key of ['respondMinutes', 'resolveMinutes'] as const) {
        if (policy[urgent][key] > policy[relaxed][key]) {
          ctx.addIssue({
            code: 'custom',
            path: [urgent, key],
            message: `${urgent} may not allow more time than ${relaxed} (${policy[relaxed][key]} minutes)`,
          });
        }
      }
    }
  });

const MINUTE_MS = 60_000;

export function dueTimes(
  policy: SlaPolicy,
  priority: Priority,
  from: number,
): { respondDueAt: number; resolveDueAt: number } {
  return {
    respondDueAt: from + policy[priority].respondMinutes * MINUTE_MS,
    resolveDueAt: from + policy[priority].resolveMinutes * MINUTE_MS,
  };
}

/**
 * Deadlines after a priority rise at `at`: never later than they were, and never later than the new
 * priority allows from now on. A deadline already met (first response given) is left alone.
 */
export function tightenDueTimes(
  policy: SlaPolicy,
  ticket: Pick<Ticket, 'respondDueAt' | 'resolveDueAt'>,
  priority: Priority,
  at: number,
): { respondDueAt: number; resolveDueAt: number } {
  const fresh = dueTimes(policy, priority, at);
  return {
    respondDueAt: Math.min(ticket.respondDueAt, fresh.respondDueAt),
    resolveDueAt: Math.min(ticket.resolveDueAt, fresh.resolveDueAt),
  };
}

/** A breach found by `findBreach`, with the deadlines the ticket gets after escalation. */
export interface SlaEscalation {
  breach: SlaBreach;
  respondDueAt: number;
  resolveDueAt: number;
}

/**
 * The first deadline the ticket has missed at `now` and not yet been escalated for, or null.
 * Escalation raises the priority one step; the missed clock is re-armed with the new priority's
 * target from `now` and the other clock tightened to it, so a ticket nobody touches climbs
 * P3→P2→P1. At P1 the missed deadline stays: it is recorded once and not again.
 */
export function findBreach(policy: SlaPolicy, ticket: Ticket, now: number): SlaEscalation | null {
  const clocks: { clock: SlaClock; dueAt: number; met: boolean }[] = [
    { clock: 'respond', dueAt: ticket.respondDueAt, met: ticket.firstResponseAt !== null },
    { clock: 'resolve', dueAt: ticket.resolveDueAt, met: ticket.resolvedAt !== null },
  ];
  for (const { clock, dueAt, met } of clocks) {
    if (met || now < dueAt) continue;
    if (ticket.slaBreaches.some((b) => b.clock === clock && b.dueAt === dueAt)) continue;
    const priorityAfter = escalate(ticket.priority);
    const breach: SlaBreach = { clock, dueAt, at: now, priorityBefore: ticket.priority, priorityAfter };
    if (priorityAfter === ticket.priority) return { breach, ...pick(ticket) };
    const rearmed = dueTimes(policy, priorityAfter, now);
    const tightened = tightenDueTimes(policy, ticket, priorityAfter, now);
    return {
      breach,
      respondDueAt: clock === 'respond' ? rearmed.respondDueAt : tightened.respondDueAt,
      resolveDueAt: clock === 'resolve' ? rearmed.resolveDueAt : tightened.resolveDueAt,
    };
  }
  return null;
}

function pick(ticket: Ticket): { respondDueAt: number; resolveDueAt: number } {
  return { respondDueAt: ticket.respondDueAt, resolveDueAt: ticket.resolveDueAt };
}
