/**
 * The ticket service: turns findings into proactive tickets, opens reactive ones, runs the lifecycle,
 * dispatch, SLA escalation and the measures. Every write goes through one queue per service, so
 * findings that arrive together (even in the same millisecond) are applied one after another; the
 * store's constraints keep a second process honest as well.
 *
 * Time: a finding's changes are stamped with its data time (`finding.at`), so replaying a CSV gives
 * the same tickets and history as the live run did. A proactive ticket opens, and its SLA clocks start, when
 * the platform records it: the later of that and `clock()`, so readings that arrive late (a device's backlog,
 * history fed into a live platform) do not open tickets already overdue. Changes made by people are stamped
 * with `clock()`.
 */
import { randomBytes } from 'node:crypto';
import type { EventBus } from '../core/bus.js';
import type { Finding, FindingCategory } from '../rules/finding.js';
import { chooseOutlet, distanceKm, type GeoPoint } from './dispatch.js';
import { type FixSuggestion, type PastFix, rankFixes } from './knowledge.js';
import { transitionProblem } from './lifecycle.js';
import { applyFinding, draftProactiveTicket, findingKey, initialTicketState } from './proactive.js';
import {
  type MonthlyReport,
  monthlyFaultReport,
  monthRange,
  type TicketStats,
  ticketStats,
} from './report.js';
import { DEFAULT_SLA_POLICY, findBreach, type SlaPolicy } from './sla.js';
import type { TicketFilter, TicketStore } from './store.js';
import {
  ACTIVE_STATUSES,
  type Feedback,
  type HistoryEntry,
  isActive,
  type NewTicket,
  type Priority,
  type Resolution,
  type SlaBreach,
  type StoredFinding,
  type Ticket,
  type TicketChange,
  type TicketChangeKind,
  type TicketEvent,
  type TicketStatus,
} from './types.js';
import { iso } from './view.js';

/** Actor recorded for automatic outlet assignment. */
export const DISPATCH_ACTOR = 'system:dispatch';
/** Actor recorded for SLA escalations. */
export const SLA_ACTOR = 'system:sla';
/** An NPS answer below this flags a follow-up call (0–6 are detractors). */
export const FOLLOW_UP_NPS_BELOW = 7;
/** How often a write that lost a race with another writer is retried before giving up. */
const MAX_WRITE_ATTEMPTS = 5;

export interface TicketServiceDeps {
  store: TicketStore;
  /** Wall clock for changes made by people and for the SLA check, epoch ms. */
  clock: () => number;
  /** Where ticketOpened, ticketUpdated and slaBreached go; none in replay. */
  bus?: EventBus;
  /** SLA targets per priority; DEFAULT_SLA_POLICY when omitted. */
  slaPolicy?: SlaPolicy;
  /** A device's site, for dispatch to the nearest outlet. */
  deviceLocation?: (deviceId: string) => GeoPoint | undefined;
  /** A registered device's model, for reactive tickets that do not name one. */
  deviceModel?: (deviceId: string) => string | undefined;
  /** Makes the customer status token; 144 random bits when omitted. */
  newStatusToken?: () => string;
}

/** A request the service refuses; the HTTP layer maps `kind` onto 404, 409 and 400. */
export class TicketServiceError extends Error {
  constructor(
    readonly kind: 'not_found' | 'conflict' | 'invalid',
    message: string,
    /** The request field at fault, for `invalid`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'TicketServiceError';
  }
}

export interface ReactiveTicketInput {
  device: string;
  /** Needed unless `deviceModel` knows the device. */
  model?: string;
  /** When known; a ticket with a fault code counts against the one-per-device-and-fault rule. */
  faultCode?: string;
  category?: FindingCategory;
  /** P2 (an ordinary issue: respond within an hour) unless given. */
  priority?: Priority;
  title: string;
  description?: string;
  /** Who reported it: a customer's name, a call-centre agent… */
  reportedBy: string;
  /** Where the unit stands, when the device registry does not know. */
  site?: GeoPoint;
}

export interface TransitionInput {
  to: TicketStatus;
  actor: string;
  note?: string;
  /** Who is on the job (when dispatching or starting work). */
  technician?: string;
  /** Required when `to` is `resolved`. */
  resolution?: Resolution;
  /** Optional when `to` is `closed`. */
  feedback?: Omit<Feedback, 'at'>;
}

export type AssignInput = { actor: string; note?: string } & ({ outletId: string | null } | { auto: true });

export interface TicketDetail {
  ticket: Ticket;
  history: HistoryEntry[];
  findings: StoredFinding[];
  /** Fixes that worked for the same fault on the same model before, best first. */
  suggestions: FixSuggestion[];
}

export interface SlaCheckResult {
  ticket: Ticket;
  breaches: SlaBreach[];
}

interface Mutation {
  ticket: Ticket;
  entries: HistoryEntry[];
  kind: TicketChangeKind;
}

export class TicketService {
  readonly #store: TicketStore;
  readonly #clock: () => number;
  readonly #bus: EventBus | undefined;
  readonly #policy: SlaPolicy;
  readonly #deviceLocation: (deviceId: string) => GeoPoint | undefined;
  readonly #deviceModel: (deviceId: string) => string | undefined;
  readonly #newStatusToken: () => string;
  #queue: Promise<unknown> = Promise.resolve();
  #opened: Promise<void> | undefined;

  constructor(deps: TicketServiceDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#bus = deps.bus;
    this.#policy = deps.slaPolicy ?? DEFAULT_SLA_POLICY;
    this.#deviceLocation = deps.deviceLocation ?? (() => undefined);
    this.#deviceModel = deps.deviceModel ?? (() => undefined);
    this.#newStatusToken = deps.newStatusToken ?? (() => randomBytes(18).toString('base64url'));
  }

  get slaPolicy(): SlaPolicy {
    return this.#policy;
  }

  /** Opens, updates or clears the proactive ticket for a finding; a redelivered finding changes nothing. */
  handleFinding(finding: Finding): Promise<TicketEvent[]> {
    return this.#serial(async () => {
      const key = findingKey(finding);
      const recordedAt = Math.max(finding.at, this.#clock());
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        const ticket = await this.#ticketForFinding(finding);
        if (!ticket) {
          if (finding.state === 'cleared') {
            await this.#store.recordFinding({ key, ticketId: null, finding });
            return [];
          }
          const draft = draftProactiveTicket(finding, this.#policy, this.#newStatusToken(), recordedAt);
          const assigned = await this.#autoAssign(draft.ticket, recordedAt);
          const created = await this.#store.createTicket(assigned.ticket, {
            history: [draft.entry, ...assigned.entries],
            finding: { key, ticketId: null, finding },
          });
          if (created.outcome === 'duplicate_finding') return [];
          if (created.outcome === 'conflict') continue;
          this.#bus?.emit('ticketOpened', created.ticket);
          return [{ event: 'ticket_opened', at: finding.at, ticket: created.ticket }];
        }
        const change = applyFinding(ticket, finding, this.#policy, recordedAt);
        const updated = await this.#store.updateTicket(change.ticket, {
          history: change.entries,
          finding: { key, ticketId: ticket.id, finding },
        });
        if (updated.outcome === 'duplicate_finding') return [];
        if (updated.outcome === 'stale') continue;
        if (change.event === null) return [];
        this.#bus?.emit('ticketUpdated', updated.ticket, {
          kind: change.event === 'ticket_cleared' ? 'cleared' : 'finding',
          at: finding.at,
          entries: change.entries,
        });
        return [{ event: change.event, at: finding.at, ticket: updated.ticket }];
      }
      throw new Error(
        `finding ${key}: the ticket kept changing under us; gave up after ${MAX_WRITE_ATTEMPTS} tries`,
      );
    });
  }

  /**
   * The active ticket covering the finding's device and fault code; failing that, for an active
   * finding, the device's oldest active proactive ticket of the same category on the same metric
   * (a related finding: VIB-DRIFT then VIB-TREND on one bearing belong on one ticket).
   */
  async #ticketForFinding(finding: Finding): Promise<Ticket | null> {
    const own = await this.#store.findActiveTicket(finding.device, finding.faultCode);
    if (own || finding.state === 'cleared') return own;
    const onDevice = await this.#store.listTickets({
      device: finding.device,
      status: ACTIVE_STATUSES,
      kind: 'proactive',
      category: finding.category,
    });
    const related = onDevice.filter((t) => t.conditions.some((c) => c.metric === finding.metric));
    return related.at(-1) ?? null;
  }

  /** Assigns the nearest capable outlet with a free slot, if the device's site is known. */
  async #autoAssign(
    ticket: NewTicket,
    at: number,
    site?: GeoPoint,
  ): Promise<{ ticket: NewTicket; entries: HistoryEntry[] }> {
    const where = site ?? this.#deviceLocation(ticket.device);
    if (!where) return { ticket, entries: [] };
    const choice = chooseOutlet(
      await this.#store.listOutlets(),
      await this.#store.outletLoad(),
      ticket.model,
      where,
    );
    if (!choice) return { ticket, entries: [] };
    const entry: HistoryEntry = {
      at,
      actor: DISPATCH_ACTOR,
      action: 'assigned',
      from: ticket.outletId,
      to: choice.outlet.id,
      note: `nearest outlet with capacity and ${ticket.model} skill: ${choice.outlet.name}, ${choice.distanceKm.toFixed(1)} km`,
    };
    return { ticket: { ...ticket, outletId: choice.outlet.id }, entries: [entry] };
  }

  /** Opens a ticket reported by a customer or a person. */
  openReactive(input: ReactiveTicketInput): Promise<Ticket> {
    return this.#serial(async () => {
      const at = this.#clock();
      const model = input.model ?? this.#deviceModel(input.device);
      if (!model)
        throw new TicketServiceError(
          'invalid',
          `model: device '${input.device}' is not registered; give its model`,
          'model',
        );
      const priority = input.priority ?? 'P2';
      const draft: NewTicket = {
        kind: 'reactive',
        device: input.device,
        model,
        faultCode: input.faultCode ?? null,
        category: input.category ?? 'machine',
        metric: null,
        severity: null,
        priority,
        predictedFailureAt: null,
        status: 'open',
        title: input.title,
        description: input.description ?? null,
        reportedBy: input.reportedBy,
        conditions: [],
        ...initialTicketState(this.#policy, priority, at, this.#newStatusToken()),
      };
      const opened: HistoryEntry = {
        at,
        actor: input.reportedBy,
        action: 'opened',
        from: null,
        to: 'open',
        note: `reported: ${input.title}; priority ${priority}`,
      };
      const assigned = await this.#autoAssign(draft, at, input.site);
      const created = await this.#store.createTicket(assigned.ticket, {
        history: [opened, ...assigned.entries],
      });
      if (created.outcome === 'conflict') {
        throw new TicketServiceError(
          'conflict',
          `ticket ${created.existing.id} is already open for device ${input.device} and fault ${input.faultCode}; add to it instead`,
        );
      }
      if (created.outcome !== 'created') throw new Error(`unexpected store outcome ${created.outcome}`);
      this.#bus?.emit('ticketOpened', created.ticket);
      return created.ticket;
    });
  }

  /** Moves a ticket through its lifecycle; refuses transitions the lifecycle does not allow. */
  transition(id: string, input: TransitionInput): Promise<Ticket> {
    return this.#mutate(id, (ticket, at) => {
      const problem = transitionProblem(ticket.status, input.to);
      if (problem) throw new TicketServiceError('conflict', `ticket ${id}: ${problem}`);
      if (input.to === 'dispatched' && ticket.outletId === null) {
        throw new TicketServiceError('conflict', `ticket ${id}: assign an outlet before dispatching`);
      }
      if (input.to === 'resolved' && !input.resolution) {
        throw new TicketServiceError('invalid', 'resolution: needed to resolve a ticket', 'resolution');
      }
      if (input.to !== 'resolved' && input.resolution) {
        throw new TicketServiceError('invalid', 'resolution: only given when resolving', 'resolution');
      }
      if (input.to !== 'closed' && input.feedback) {
        throw new TicketServiceError(
          'invalid',
          'feedback: only given when closing (or later, as feedback)',
          'feedback',
        );
      }
      const entries: HistoryEntry[] = [
        {
          at,
          actor: input.actor,
          action: 'status',
          from: ticket.status,
          to: input.to,
          note: input.note ?? '',
        },
      ];
      let next: Ticket = { ...ticket, status: input.to, firstResponseAt: ticket.firstResponseAt ?? at };
      if (input.technician !== undefined) next.technician = input.technician;
      if (input.resolution) {
        const r = input.resolution;
        const parts = r.parts.map((p) => `${p.quantity}× ${p.partNumber}`).join(', ') || 'no parts';
        entries.push({
          at,
          actor: input.actor,
          action: 'resolution',
          from: null,
          to: r.resolutionCode,
          note: `found ${r.faultCode}, fixed with ${r.resolutionCode} (${parts}); ${r.firstTimeFix ? 'first-time fix' : 'needed more than one visit'}`,
        });
        next = { ...next, resolution: r, resolvedAt: at };
      }
      if (input.to === 'closed' || input.to === 'cancelled' || input.to === 'no_fault_found')
        next.closedAt = at;
      if (input.feedback) next = withFeedback(next, input.feedback, input.actor, at, entries);
      return { ticket: next, entries, kind: 'status' };
    });
  }

  /** Assigns an outlet by hand (or clears it, or asks the dispatcher again with `auto`). */
  assign(id: string, input: AssignInput): Promise<Ticket> {
    return this.#mutate(id, async (ticket, at) => {
      if (!isActive(ticket.status))
        throw new TicketServiceError('conflict', `ticket ${id} is ${ticket.status}; it takes no outlet`);
      let outletId: string | null;
      let note = input.note ?? '';
      if ('auto' in input) {
        const assigned = await this.#autoAssign({ ...ticket, outletId: null }, at);
        if (assigned.ticket.outletId === null) {
          throw new TicketServiceError(
            'conflict',
            `ticket ${id}: no outlet with capacity and ${ticket.model} skill near the device`,
          );
        }
        outletId = assigned.ticket.outletId;
        note = [assigned.entries[0].note, note].filter(Boolean).join('; ');
      } else {
        outletId = input.outletId;
        if (outletId !== null) {
          const outlet = await this.#store.getOutlet(outletId);
          if (!outlet)
            throw new TicketServiceError('invalid', `outletId: there is no outlet '${outletId}'`, 'outletId');
          const site = this.#deviceLocation(ticket.device);
          if (site)
            note = [`${outlet.name}, ${distanceKm(site, outlet).toFixed(1)} km`, note]
              .filter(Boolean)
              .join('; ');
        }
      }
      if (outletId === ticket.outletId)
        throw new TicketServiceError('conflict', `ticket ${id} is already assigned to ${outletId}`);
      const entry: HistoryEntry = {
        at,
        actor: input.actor,
        action: 'assigned',
        from: ticket.outletId,
        to: outletId,
        note,
      };
      return {
        ticket: { ...ticket, outletId, firstResponseAt: ticket.firstResponseAt ?? at },
        entries: [entry],
        kind: 'assignment',
      };
    });
  }

  /** Customer feedback that arrives after the ticket was closed. */
  addFeedback(id: string, feedback: Omit<Feedback, 'at'>, actor: string): Promise<Ticket> {
    return this.#mutate(id, (ticket, at) => {
      if (ticket.status !== 'closed')
        throw new TicketServiceError(
          'conflict',
          `ticket ${id} is ${ticket.status}; feedback comes after closing`,
        );
      if (ticket.feedback) throw new TicketServiceError('conflict', `ticket ${id} already has feedback`);
      const entries: HistoryEntry[] = [];
      return { ticket: withFeedback(ticket, feedback, actor, at, entries), entries, kind: 'feedback' };
    });
  }

  /** Records that the follow-up call to an unhappy customer was made. */
  completeFollowUp(id: string, actor: string, note: string): Promise<Ticket> {
    return this.#mutate(id, (ticket, at) => {
      if (!ticket.followUp || ticket.followUp.doneAt !== null) {
        throw new TicketServiceError('conflict', `ticket ${id} has no follow-up due`);
      }
      const entry: HistoryEntry = { at, actor, action: 'follow_up', from: 'due', to: 'done', note };
      return {
        ticket: { ...ticket, followUp: { ...ticket.followUp, doneAt: at } },
        entries: [entry],
        kind: 'follow_up',
      };
    });
  }

  /** A note in the history: work is happening even when the status does not change. */
  addNote(id: string, actor: string, note: string): Promise<Ticket> {
    return this.#mutate(id, (ticket, at) => ({
      ticket,
      entries: [{ at, actor, action: 'note', from: null, to: null, note }],
      kind: 'note',
    }));
  }

  /**
   * Marks every missed deadline at `now`, escalates the priority (P3→P2→P1) with a history entry and
   * emits slaBreached and ticketUpdated. Plain function: the cron job calls it with the wall clock,
   * tests with a simulated one.
   */
  checkSla(now: number): Promise<SlaCheckResult[]> {
    return this.#serial(async () => {
      const results: SlaCheckResult[] = [];
      for (const candidate of await this.#store.listTickets({ status: ACTIVE_STATUSES })) {
        const result = await this.#escalate(candidate.id, now);
        if (result) results.push(result);
      }
      return results;
    });
  }

  async #escalate(id: string, now: number): Promise<SlaCheckResult | null> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const original = await this.#store.getTicket(id);
      if (!original || !isActive(original.status)) return null;
      let ticket = original;
      const breaches: SlaBreach[] = [];
      const entries: HistoryEntry[] = [];
      // Each round escalates once or records a P1 breach for good; two clocks and three priorities bound it.
      for (let round = 0; round < 6; round++) {
        const found = findBreach(this.#policy, ticket, now);
        if (!found) break;
        const { breach } = found;
        breaches.push(breach);
        entries.push({
          at: now,
          actor: SLA_ACTOR,
          action: 'sla_breach',
          from: null,
          to: breach.clock,
          note: `${breach.clock} deadline ${iso(breach.dueAt)} missed at priority ${breach.priorityBefore}`,
        });
        if (breach.priorityAfter !== breach.priorityBefore) {
          entries.push({
            at: now,
            actor: SLA_ACTOR,
            action: 'priority',
            from: breach.priorityBefore,
            to: breach.priorityAfter,
            note: `escalated: ${breach.clock} deadline missed; respond by ${iso(found.respondDueAt)}, resolve by ${iso(found.resolveDueAt)}`,
          });
        }
        ticket = {
          ...ticket,
          priority: breach.priorityAfter,
          respondDueAt: found.respondDueAt,
          resolveDueAt: found.resolveDueAt,
          slaBreaches: [...ticket.slaBreaches, breach],
        };
      }
      if (breaches.length === 0) return null;
      const updated = await this.#store.updateTicket(ticket, { history: entries });
      if (updated.outcome === 'stale') continue;
      if (updated.outcome !== 'updated') throw new Error(`unexpected store outcome ${updated.outcome}`);
      for (const breach of breaches) this.#bus?.emit('slaBreached', updated.ticket, breach);
      this.#bus?.emit('ticketUpdated', updated.ticket, { kind: 'sla_breach', at: now, entries });
      return { ticket: updated.ticket, breaches };
    }
    throw new Error(
      `ticket ${id}: kept changing during the SLA check; gave up after ${MAX_WRITE_ATTEMPTS} tries`,
    );
  }

  async getTicket(id: string): Promise<Ticket> {
    await this.#open();
    const ticket = await this.#store.getTicket(id);
    if (!ticket) throw new TicketServiceError('not_found', `there is no ticket '${id}'`);
    return ticket;
  }

  /** The ticket with its history, linked findings and knowledge-base suggestions. */
  async detail(id: string): Promise<TicketDetail> {
    const ticket = await this.getTicket(id);
    const codes = new Set([
      ...(ticket.faultCode === null ? [] : [ticket.faultCode]),
      ...ticket.conditions.map((c) => c.faultCode),
    ]);
    const fixes = new Map<string, PastFix>();
    for (const code of codes) {
      for (const fix of await this.#store.pastFixes(ticket.model, code)) fixes.set(fix.ticketId, fix);
    }
    return {
      ticket,
      history: await this.#store.history(id),
      findings: await this.#store.listFindings({ ticketId: id, limit: 200 }),
      suggestions: rankFixes([...fixes.values()]),
    };
  }

  async listTickets(filter: TicketFilter): Promise<Ticket[]> {
    await this.#open();
    return this.#store.listTickets(filter);
  }

  async ticketByStatusToken(token: string): Promise<Ticket | null> {
    await this.#open();
    return this.#store.getTicketByStatusToken(token);
  }

  async history(id: string): Promise<HistoryEntry[]> {
    await this.#open();
    return this.#store.history(id);
  }

  /** Past fixes for this fault on this model, ranked by how often they worked first time. */
  async knowledge(model: string, faultCode: string): Promise<FixSuggestion[]> {
    await this.#open();
    return rankFixes(await this.#store.pastFixes(model, faultCode));
  }

  /** The service measures for tickets opened in [from, to), and every follow-up call still due. */
  async stats(from: number, to: number): Promise<TicketStats & { followUpsDue: FollowUpDue[] }> {
    await this.#open();
    const tickets = await this.#store.listTickets({ openedFrom: from, openedTo: to });
    const due = await this.#store.listTickets({ followUpDue: true });
    return {
      ...ticketStats(tickets, from, to),
      followUpsDue: due.map((t) => ({
        ticketId: t.id,
        device: t.device,
        reason: t.followUp?.reason ?? '',
        dueSince: t.followUp?.dueSince ?? t.closedAt ?? t.updatedAt,
      })),
    };
  }

  /** The top-3 fault types per model for a `YYYY-MM` month (UTC). */
  async monthlyReport(month: string): Promise<MonthlyReport> {
    await this.#open();
    const range = monthRange(month);
    if (!range) throw new TicketServiceError('invalid', `month: '${month}' is not YYYY-MM`, 'month');
    return monthlyFaultReport(
      await this.#store.listTickets({ openedFrom: range.from, openedTo: range.to }),
      month,
    );
  }

  /** Reads, changes and writes one ticket in the queue, retrying when another writer got there first. */
  #mutate(id: string, change: (ticket: Ticket, at: number) => Mutation | Promise<Mutation>): Promise<Ticket> {
    return this.#serial(async () => {
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        const ticket = await this.#store.getTicket(id);
        if (!ticket) throw new TicketServiceError('not_found', `there is no ticket '${id}'`);
        const at = this.#clock();
        const mutation = await change(ticket, at);
        const updated = await this.#store.updateTicket(
          { ...mutation.ticket, updatedAt: at },
          { history: mutation.entries },
        );
        if (updated.outcome === 'stale') continue;
        if (updated.outcome !== 'updated') throw new Error(`unexpected store outcome ${updated.outcome}`);
        const changeInfo: TicketChange = { kind: mutation.kind, at, entries: mutation.entries };
        this.#bus?.emit('ticketUpdated', updated.ticket, changeInfo);
        return updated.ticket;
      }
      throw new TicketServiceError('conflict', `ticket ${id} kept changing; try again`);
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => this.#open()).then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Opens the store on first use, so a service over a fresh in-memory store needs no set-up call. */
  #open(): Promise<void> {
    this.#opened ??= this.#store.open();
    return this.#opened;
  }
}

export interface FollowUpDue {
  ticketId: string;
  device: string;
  reason: string;
  dueSince: number;
}

function withFeedback(
  ticket: Ticket,
  feedback: Omit<Feedback, 'at'>,
  actor: string,
  at: number,
  entries: HistoryEntry[],
): Ticket {
  const scores = [
    feedback.csat === null ? null : `CSAT ${feedback.csat}`,
    feedback.nps === null ? null : `NPS ${feedback.nps}`,
  ].filter(Boolean);
  entries.push({
    at,
    actor,
    action: 'feedback',
    from: null,
    to: scores.join(', ') || null,
    note: feedback.comment ?? '',
  });
  const unhappy = feedback.nps !== null && feedback.nps < FOLLOW_UP_NPS_BELOW;
  if (unhappy) {
    entries.push({
      at,
      actor,
      action: 'follow_up',
      from: null,
      to: 'due',
      note: `NPS ${feedback.nps} is below ${FOLLOW_UP_NPS_BELOW}: call the customer back`,
    });
  }
  return {
    ...ticket,
    feedback: { ...feedback, at },
    followUp: unhappy ? { reason: `NPS ${feedback.nps}`, dueSince: at, doneAt: null } : ticket.followUp,
  };
}

/** Builds the ticket service; with just a store and a clock it runs fully in memory (replay). */
export function createTicketService(deps: TicketServiceDeps): TicketService {
  return new TicketService(deps);
}
