import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../core/bus.js';
import { createTicketService, TicketServiceError } from '../../tickets/service.js';
import { SqliteTicketStore } from '../../tickets/sqlite-store.js';
import type { Ticket, TicketChange } from '../../tickets/types.js';
import { finding, HOUR, MINUTE, T0 } from './fixtures.js';

/** A service over a fresh in-memory store, as replay builds it, with a bus that records what it carries. */
function setup(extra: Partial<Parameters<typeof createTicketService>[0]> = {}) {
  let now = T0;
  const busErrors: unknown[] = [];
  const bus = new EventBus((_event, error) => busErrors.push(error));
  const opened: Ticket[] = [];
  const updated: { ticket: Ticket; change: TicketChange }[] = [];
  bus.on('ticketOpened', (ticket) => {
    opened.push(ticket);
  });
  bus.on('ticketUpdated', (ticket, change) => {
    updated.push({ ticket, change });
  });
  const store = new SqliteTicketStore(':memory:');
  const service = createTicketService({ store, clock: () => now, bus, ...extra });
  return {
    service,
    store,
    opened,
    updated,
    busErrors,
    setNow: (ms: number) => {
      now = ms;
    },
  };
}

async function refusal(work: Promise<unknown>): Promise<TicketServiceError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof TicketServiceError))
    throw new Error(`expected a TicketServiceError, got ${String(error)}`);
  return error;
}

describe('proactive tickets from findings', () => {
  it('opens a ticket stamped with the data time, priced by severity and prediction', async () => {
    const { service, opened } = setup();
    const f = finding({ severity: 'info', predictedFailureAt: T0 + 20 * HOUR });
    const events = await service.handleFinding(f);
    expect(events).toHaveLength(1);
    const [{ event, at, ticket }] = events;
    expect({ event, at }).toEqual({ event: 'ticket_opened', at: T0 });
    expect(ticket).toMatchObject({
      id: 'T-1',
      kind: 'proactive',
      device: 'ac-1',
      model: 'AC-2000',
      faultCode: 'VIB-TREND',
      category: 'machine',
      metric: 'vibration_rms',
      priority: 'P1',
      predictedFailureAt: T0 + 20 * HOUR,
      status: 'open',
      openedAt: T0,
      respondDueAt: T0 + 15 * MINUTE,
      resolveDueAt: T0 + 4 * HOUR,
    });
    expect(ticket.statusToken).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(opened).toEqual([ticket]);
    expect(await service.history(ticket.id)).toEqual([
      expect.objectContaining({ at: T0, actor: 'system:rules', action: 'opened', to: 'open' }),
    ]);
  });

  it('opens a ticket for a finding that arrives late when it is recorded, its SLA clocks starting then', async () => {
    const { service, setNow } = setup();
    // Readings from three hours ago (a device's backlog) produce the finding now.
    setNow(T0 + 3 * HOUR);
    const [{ event, at, ticket }] = await service.handleFinding(finding({ severity: 'warning' }));
    expect({ event, at }).toEqual({ event: 'ticket_opened', at: T0 });
    expect(ticket).toMatchObject({
      openedAt: T0 + 3 * HOUR,
      respondDueAt: T0 + 4 * HOUR,
      resolveDueAt: T0 + 27 * HOUR,
      conditions: [expect.objectContaining({ at: T0 })],
    });
    // A later finding of the backlog that raises the priority tightens the deadlines from now, not from then.
    setNow(T0 + 3 * HOUR + 5 * MINUTE);
    const [raised] = await service.handleFinding(finding({ at: T0 + 30 * MINUTE, severity: 'critical' }));
    expect(raised.ticket).toMatchObject({
      priority: 'P1',
      respondDueAt: T0 + 3 * HOUR + 20 * MINUTE,
      resolveDueAt: T0 + 7 * HOUR + 5 * MINUTE,
    });
  });

  it('updates the open ticket for the same device and fault, and stays quiet when nothing changed', async () => {
    const { service, updated } = setup();
    const [{ ticket }] = await service.handleFinding(finding());
    expect(ticket.priority).toBe('P2');
    expect(await service.handleFinding(finding({ at: T0 + 10 * MINUTE }))).toEqual([]);

    const worse = await service.handleFinding(finding({ at: T0 + 30 * MINUTE, severity: 'critical' }));
    expect(worse).toMatchObject([
      {
        event: 'ticket_updated',
        at: T0 + 30 * MINUTE,
        ticket: { id: ticket.id, priority: 'P1', severity: 'critical' },
      },
    ]);
    // P1 from T0+30min allows 15 min to respond: tighter than P2's hour from T0.
    expect(worse[0].ticket.respondDueAt).toBe(T0 + 45 * MINUTE);
    expect(updated.map((u) => u.change.kind)).toEqual(['finding']);
    const history = await service.history(ticket.id);
    expect(history.map((h) => [h.action, h.from, h.to])).toEqual([
      ['opened', null, 'open'],
      ['finding', null, null],
      ['priority', 'P2', 'P1'],
    ]);
    expect((await service.listTickets({})).length).toBe(1);
  });

  it('reports a prediction that moves by an hour or more, and keeps smaller moves silently', async () => {
    const { service } = setup();
    await service.handleFinding(finding({ severity: 'info', predictedFailureAt: T0 + 200 * HOUR }));
    expect(
      await service.handleFinding(
        finding({ severity: 'info', at: T0 + 1, predictedFailureAt: T0 + 200 * HOUR - 30 * MINUTE }),
      ),
    ).toEqual([]);
    expect((await service.getTicket('T-1')).predictedFailureAt).toBe(T0 + 200 * HOUR - 30 * MINUTE);
    const moved = await service.handleFinding(
      finding({ severity: 'info', at: T0 + 2, predictedFailureAt: T0 + 100 * HOUR }),
    );
    expect(moved).toMatchObject([
      { event: 'ticket_updated', ticket: { predictedFailureAt: T0 + 100 * HOUR, priority: 'P2' } },
    ]);
  });

  it('links a related finding on the same device and metric to the open ticket', async () => {
    const { service } = setup();
    await service.handleFinding(finding({ faultCode: 'VIB-DRIFT' }));
    const step = await service.handleFinding(
      finding({ faultCode: 'VIB-STEP', at: T0 + HOUR, severity: 'critical' }),
    );
    expect(step).toMatchObject([
      { event: 'ticket_updated', ticket: { id: 'T-1', faultCode: 'VIB-DRIFT', priority: 'P1' } },
    ]);
    expect(step[0].ticket.conditions.map((c) => c.faultCode)).toEqual(['VIB-DRIFT', 'VIB-STEP']);
    // Once linked, the related code is held by that ticket.
    expect(
      await service.handleFinding(
        finding({ faultCode: 'VIB-STEP', at: T0 + 2 * HOUR, severity: 'critical' }),
      ),
    ).toEqual([]);
    // Another metric, another device or a data-quality finding gets its own ticket.
    const temp = await service.handleFinding(finding({ faultCode: 'TEMP-DRIFT', at: T0 + HOUR }));
    const other = await service.handleFinding(
      finding({ faultCode: 'VIB-STEP', device: 'ac-2', at: T0 + HOUR }),
    );
    const stuck = await service.handleFinding(
      finding({ faultCode: 'SENSOR-STUCK', metric: 'vibration_rms', at: T0 + HOUR }),
    );
    expect([temp, other, stuck].map((e) => [e[0].event, e[0].ticket.id])).toEqual([
      ['ticket_opened', 'T-2'],
      ['ticket_opened', 'T-3'],
      ['ticket_opened', 'T-4'],
    ]);
    expect(stuck[0].ticket).toMatchObject({ category: 'data_quality', priority: 'P3' });
    const detail = await service.detail('T-1');
    expect(detail.findings.map((f) => f.finding.faultCode)).toEqual(['VIB-STEP', 'VIB-STEP', 'VIB-DRIFT']);
  });

  it('opens one ticket per device and fault under concurrent and same-millisecond findings', async () => {
    const { service, opened } = setup();
    const burst = [];
    for (let copy = 0; copy < 5; copy++) {
      for (const device of ['a', 'b', 'c']) {
        burst.push(finding({ device }));
        burst.push(finding({ device, faultCode: 'TEMP-HIGH', severity: 'critical' }));
        burst.push(finding({ device, at: T0 + copy, severity: copy === 4 ? 'critical' : 'warning' }));
      }
    }
    const events = (await Promise.all(burst.map((f) => service.handleFinding(f)))).flat();
    const tickets = await service.listTickets({});
    expect(tickets.map((t) => `${t.device}/${t.faultCode}`).sort()).toEqual([
      'a/TEMP-HIGH',
      'a/VIB-TREND',
      'b/TEMP-HIGH',
      'b/VIB-TREND',
      'c/TEMP-HIGH',
      'c/VIB-TREND',
    ]);
    expect(events.filter((e) => e.event === 'ticket_opened')).toHaveLength(6);
    expect(opened).toHaveLength(6);
    // The critical copy of each VIB-TREND finding raised its ticket once.
    expect(
      events
        .filter((e) => e.event === 'ticket_updated')
        .map((e) => e.ticket.device)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  it('opens one ticket when two service instances share a store file and race', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forewarn-tickets-'));
    try {
      const stores = [new SqliteTicketStore(dir), new SqliteTicketStore(dir)];
      const services = stores.map((store) => createTicketService({ store, clock: () => T0 }));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          services[i % 2].handleFinding(finding({ at: T0 + i, severity: i === 19 ? 'critical' : 'warning' })),
        ),
      );
      const tickets = await services[0].listTickets({});
      expect(tickets).toHaveLength(1);
      expect(tickets[0].priority).toBe('P1');
      expect(results.flat().filter((e) => e.event === 'ticket_opened')).toHaveLength(1);
      expect((await stores[0].listFindings({ limit: 100 })).length).toBe(20);
      for (const store of stores) await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('after a restart', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'forewarn-tickets-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('ignores a redelivered finding and updates the persisted ticket instead of opening another', async () => {
      const before = new SqliteTicketStore(dir);
      const first = createTicketService({ store: before, clock: () => T0 });
      const [{ ticket }] = await first.handleFinding(finding());
      await before.close();

      const after = new SqliteTicketStore(dir);
      const second = createTicketService({ store: after, clock: () => T0 });
      expect(await second.handleFinding(finding())).toEqual([]);
      const later = await second.handleFinding(finding({ at: T0 + HOUR, severity: 'critical' }));
      expect(later).toMatchObject([{ event: 'ticket_updated', ticket: { id: ticket.id, priority: 'P1' } }]);
      const next = await second.handleFinding(finding({ faultCode: 'TEMP-HIGH', at: T0 + HOUR }));
      expect(next[0].ticket.id).toBe('T-2');
      expect(await second.listTickets({})).toHaveLength(2);
      await after.close();
    });
  });

  describe('cleared findings', () => {
    it('keep a machine ticket with the technician and record that the condition cleared', async () => {
      const { service, updated } = setup();
      await service.handleFinding(finding({ faultCode: 'VIB-DRIFT' }));
      await service.handleFinding(finding({ faultCode: 'VIB-STEP', at: T0 + HOUR }));
      const partly = await service.handleFinding(
        finding({ faultCode: 'VIB-STEP', at: T0 + 2 * HOUR, state: 'cleared' }),
      );
      expect(partly).toMatchObject([{ event: 'ticket_updated', ticket: { conditionClearedAt: null } }]);
      const cleared = await service.handleFinding(
        finding({ faultCode: 'VIB-DRIFT', at: T0 + 3 * HOUR, state: 'cleared' }),
      );
      expect(cleared).toMatchObject([
        {
          event: 'ticket_cleared',
          at: T0 + 3 * HOUR,
          ticket: { id: 'T-1', status: 'open', conditionClearedAt: T0 + 3 * HOUR },
        },
      ]);
      expect(updated.at(-1)?.change.kind).toBe('cleared');
      // The ticket still covers the fault: the condition coming back updates it.
      const back = await service.handleFinding(finding({ faultCode: 'VIB-DRIFT', at: T0 + 4 * HOUR }));
      expect(back).toMatchObject([
        { event: 'ticket_updated', ticket: { id: 'T-1', conditionClearedAt: null } },
      ]);
      expect((await service.history('T-1')).map((h) => h.action)).toEqual([
        'opened',
        'finding',
        'condition_cleared',
        'condition_cleared',
        'condition_returned',
      ]);
    });

    it('close a data-quality ticket by itself', async () => {
      const { service } = setup();
      await service.handleFinding(finding({ faultCode: 'OFFLINE', metric: '*' }));
      const cleared = await service.handleFinding(
        finding({ faultCode: 'OFFLINE', metric: '*', at: T0 + HOUR, state: 'cleared' }),
      );
      expect(cleared).toMatchObject([
        { event: 'ticket_cleared', ticket: { status: 'closed', closedAt: T0 + HOUR, resolution: null } },
      ]);
      // Going offline again is a new case.
      const again = await service.handleFinding(
        finding({ faultCode: 'OFFLINE', metric: '*', at: T0 + 5 * HOUR }),
      );
      expect(again).toMatchObject([{ event: 'ticket_opened', ticket: { id: 'T-2' } }]);
    });

    it('change nothing when no ticket is open for them, and are still listed', async () => {
      const { service, store } = setup();
      expect(await service.handleFinding(finding({ state: 'cleared' }))).toEqual([]);
      expect(await service.listTickets({})).toEqual([]);
      expect(await store.listFindings({ state: 'cleared', limit: 10 })).toHaveLength(1);
    });
  });
});

describe('the ticket lifecycle', () => {
  it('walks open → closed with a first response, a resolution and feedback, all in the history', async () => {
    const { service, setNow, updated } = setup();
    await service.handleFinding(finding());
    setNow(T0 + 20 * MINUTE);
    const acked = await service.transition('T-1', {
      to: 'acknowledged',
      actor: 'dana',
      note: 'calling the customer',
    });
    expect(acked).toMatchObject({
      status: 'acknowledged',
      firstResponseAt: T0 + 20 * MINUTE,
      updatedAt: T0 + 20 * MINUTE,
    });

    const noOutlet = await refusal(service.transition('T-1', { to: 'dispatched', actor: 'dana' }));
    expect(noOutlet).toMatchObject({
      kind: 'conflict',
      message: 'ticket T-1: assign an outlet before dispatching',
    });
    expect((await refusal(service.transition('T-1', { to: 'closed', actor: 'dana' }))).kind).toBe('conflict');
    expect((await refusal(service.transition('T-9', { to: 'closed', actor: 'dana' }))).kind).toBe(
      'not_found',
    );

    setNow(T0 + HOUR);
    await service.transition('T-1', { to: 'in_progress', actor: 'tom', technician: 'tom' });
    const missing = await refusal(service.transition('T-1', { to: 'resolved', actor: 'tom' }));
    expect(missing).toMatchObject({ kind: 'invalid', field: 'resolution' });
    setNow(T0 + 3 * HOUR);
    const resolution = {
      resolutionCode: 'REPLACE-BEARING',
      faultCode: 'VIB-TREND',
      parts: [{ partNumber: 'BRG-6204', quantity: 1 }],
      firstTimeFix: true,
    };
    const resolved = await service.transition('T-1', { to: 'resolved', actor: 'tom', resolution });
    expect(resolved).toMatchObject({
      status: 'resolved',
      resolvedAt: T0 + 3 * HOUR,
      resolution,
      technician: 'tom',
    });

    setNow(T0 + 5 * HOUR);
    const closed = await service.transition('T-1', {
      to: 'closed',
      actor: 'dana',
      feedback: { csat: 2, nps: 4, comment: 'slow' },
    });
    expect(closed).toMatchObject({
      status: 'closed',
      closedAt: T0 + 5 * HOUR,
      feedback: { csat: 2, nps: 4, comment: 'slow', at: T0 + 5 * HOUR },
      followUp: { reason: 'NPS 4', dueSince: T0 + 5 * HOUR, doneAt: null },
    });
    expect((await service.stats(T0, T0 + 24 * HOUR)).followUpsDue).toEqual([
      { ticketId: 'T-1', device: 'ac-1', reason: 'NPS 4', dueSince: T0 + 5 * HOUR },
    ]);
    setNow(T0 + 6 * HOUR);
    await service.completeFollowUp('T-1', 'dana', 'apologised, offered a check-up');
    expect((await service.stats(T0, T0 + 24 * HOUR)).followUpsDue).toEqual([]);
    expect((await refusal(service.completeFollowUp('T-1', 'dana', 'again'))).kind).toBe('conflict');
    expect(
      (await refusal(service.addFeedback('T-1', { csat: 5, nps: 10, comment: null }, 'dana'))).kind,
    ).toBe('conflict');

    const history = await service.history('T-1');
    expect(history.map((h) => [h.at - T0, h.actor, h.action, h.to])).toEqual([
      [0, 'system:rules', 'opened', 'open'],
      [20 * MINUTE, 'dana', 'status', 'acknowledged'],
      [HOUR, 'tom', 'status', 'in_progress'],
      [3 * HOUR, 'tom', 'status', 'resolved'],
      [3 * HOUR, 'tom', 'resolution', 'REPLACE-BEARING'],
      [5 * HOUR, 'dana', 'status', 'closed'],
      [5 * HOUR, 'dana', 'feedback', 'CSAT 2, NPS 4'],
      [5 * HOUR, 'dana', 'follow_up', 'due'],
      [6 * HOUR, 'dana', 'follow_up', 'done'],
    ]);
    expect(history[1].note).toBe('calling the customer');
    expect(updated.map((u) => u.change.kind)).toEqual(['status', 'status', 'status', 'status', 'follow_up']);
  });

  it('opens reactive tickets, refusing a second one for the same fault', async () => {
    const { service, setNow } = setup({ deviceModel: (id) => (id === 'pu-1' ? 'PU-55' : undefined) });
    setNow(T0 + 2 * HOUR);
    const reported = await service.openReactive({
      device: 'pu-1',
      title: 'pump is loud',
      reportedBy: 'customer: Stadtwerke',
      faultCode: 'VIB-STEP',
    });
    expect(reported).toMatchObject({
      kind: 'reactive',
      model: 'PU-55',
      priority: 'P2',
      openedAt: T0 + 2 * HOUR,
      respondDueAt: T0 + 3 * HOUR,
    });
    const twice = await refusal(
      service.openReactive({ device: 'pu-1', title: 'still loud', reportedBy: 'x', faultCode: 'VIB-STEP' }),
    );
    expect(twice).toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining(`ticket ${reported.id} is already open`),
    });
    // A finding for the same fault joins the reported ticket.
    const joined = await service.handleFinding(
      finding({ device: 'pu-1', model: 'PU-55', faultCode: 'VIB-STEP', severity: 'critical' }),
    );
    expect(joined).toMatchObject([{ event: 'ticket_updated', ticket: { id: reported.id, priority: 'P1' } }]);
    const unknown = await refusal(service.openReactive({ device: 'zz', title: 'x', reportedBy: 'y' }));
    expect(unknown).toMatchObject({ kind: 'invalid', field: 'model' });
  });
});
