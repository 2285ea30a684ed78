/**
 * The ticket store contract, written once as a function of a backend factory; every TicketStore
 * backend runs it (see sqlite-store.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TicketStore } from '../../tickets/store.js';
import type { HistoryEntry, Outlet, Ticket, WebhookDelivery } from '../../tickets/types.js';
import { finding, HOUR, newTicket, T0 } from './fixtures.js';

export interface StoreHarness {
  /** A fresh, empty store, not yet opened. */
  store: TicketStore;
  /** A new store over the same data, for backends that persist; null for in-memory ones. */
  reopen: (() => TicketStore) | null;
  cleanup(): Promise<void>;
}

const entry = (note: string, at = T0): HistoryEntry => ({
  at,
  actor: 'tester',
  action: 'note',
  from: null,
  to: null,
  note,
});

export function ticketStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`TicketStore contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: TicketStore;

    beforeEach(async () => {
      harness = await makeHarness();
      store = harness.store;
      await store.open();
    });
    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    async function create(
      overrides: Parameters<typeof newTicket>[0] = {},
      history: HistoryEntry[] = [],
    ): Promise<Ticket> {
      const outcome = await store.createTicket(newTicket(overrides), { history });
      if (outcome.outcome !== 'created') throw new Error(`expected created, got ${outcome.outcome}`);
      return outcome.ticket;
    }

    it('gives new tickets sequential ids and version 1, and reads them back unchanged', async () => {
      const first = await create({ device: 'a' });
      const second = await create({ device: 'b', title: 'second' });
      expect([first.id, second.id]).toEqual(['T-1', 'T-2']);
      expect(first.version).toBe(1);
      expect(await store.getTicket('T-2')).toEqual(second);
      expect(await store.getTicket('T-99')).toBeNull();
      expect(await store.getTicketByStatusToken(second.statusToken)).toEqual(second);
      expect(await store.getTicketByStatusToken('nope')).toBeNull();
    });

    it('keeps one active ticket per device and fault code, counting linked conditions', async () => {
      const held = await create({
        conditions: [
          {
            faultCode: 'VIB-TREND',
            metric: 'vibration_rms',
            severity: 'warning',
            state: 'active',
            at: T0,
            predictedFailureAt: null,
          },
          {
            faultCode: 'VIB-STEP',
            metric: 'vibration_rms',
            severity: 'warning',
            state: 'active',
            at: T0,
            predictedFailureAt: null,
          },
        ],
      });
      const again = await store.createTicket(newTicket({ faultCode: 'VIB-TREND' }), { history: [] });
      expect(again).toEqual({ outcome: 'conflict', existing: held });
      const linked = await store.createTicket(newTicket({ faultCode: 'VIB-STEP' }), { history: [] });
      expect(linked.outcome).toBe('conflict');
      expect((await store.findActiveTicket('ac-1', 'VIB-STEP'))?.id).toBe(held.id);
      expect(await store.findActiveTicket('ac-1', 'TEMP-HIGH')).toBeNull();
      // Another device, or another fault, is a separate ticket.
      expect((await store.createTicket(newTicket({ device: 'ac-2' }), { history: [] })).outcome).toBe(
        'created',
      );

      const closed = await store.updateTicket({ ...held, status: 'closed' }, { history: [] });
      expect(closed.outcome).toBe('updated');
      expect(await store.findActiveTicket('ac-1', 'VIB-TREND')).toBeNull();
      expect((await store.createTicket(newTicket(), { history: [] })).outcome).toBe('created');
    });

    it('updates only the version it read, and refuses to link a fault code another ticket holds', async () => {
      const ticket = await create();
      const updated = await store.updateTicket({ ...ticket, priority: 'P1' }, { history: [entry('raised')] });
      expect(updated).toEqual({ outcome: 'updated', ticket: { ...ticket, priority: 'P1', version: 2 } });
      expect(await store.updateTicket({ ...ticket, priority: 'P3' }, { history: [entry('lost')] })).toEqual({
        outcome: 'stale',
      });
      expect((await store.getTicket(ticket.id))?.priority).toBe('P1');
      expect((await store.history(ticket.id)).map((h) => h.note)).toEqual(['raised']);

      const other = await create({ faultCode: 'TEMP-HIGH', device: 'ac-1' });
      const current = (await store.getTicket(ticket.id)) as Ticket;
      const grab = await store.updateTicket(
        {
          ...current,
          conditions: [...current.conditions, { ...current.conditions[0], faultCode: 'TEMP-HIGH' }],
        },
        { history: [] },
      );
      expect(grab).toEqual({ outcome: 'stale' });
      expect((await store.findActiveTicket('ac-1', 'TEMP-HIGH'))?.id).toBe(other.id);
    });

    it('writes history in order, per ticket', async () => {
      const a = await create({ device: 'a' }, [entry('opened a', T0)]);
      const b = await create({ device: 'b' }, [entry('opened b', T0)]);
      await store.updateTicket(a, { history: [entry('second a', T0 + 1), entry('third a', T0 + 2)] });
      expect(await store.history(a.id)).toEqual([
        entry('opened a', T0),
        entry('second a', T0 + 1),
        entry('third a', T0 + 2),
      ]);
      expect((await store.history(b.id)).map((h) => h.note)).toEqual(['opened b']);
    });

    it('records a finding once: a redelivered finding writes nothing', async () => {
      const f = finding();
      const first = await store.createTicket(newTicket(), {
        history: [entry('x')],
        finding: { key: 'k1', ticketId: null, finding: f },
      });
      expect(first.outcome).toBe('created');
      const ticket = (first as { ticket: Ticket }).ticket;
      expect(
        await store.createTicket(newTicket({ device: 'other' }), {
          history: [],
          finding: { key: 'k1', ticketId: null, finding: f },
        }),
      ).toEqual({
        outcome: 'duplicate_finding',
      });
      expect(await store.listTickets({})).toHaveLength(1);
      expect(
        await store.updateTicket(
          { ...ticket, priority: 'P1' },
          { history: [entry('y')], finding: { key: 'k1', ticketId: null, finding: f } },
        ),
      ).toEqual({
        outcome: 'duplicate_finding',
      });
      expect(await store.getTicket(ticket.id)).toEqual(ticket);
      expect(await store.history(ticket.id)).toHaveLength(1);

      expect(
        await store.recordFinding({
          key: 'k2',
          ticketId: null,
          finding: finding({ state: 'cleared', at: T0 + HOUR }),
        }),
      ).toBe(true);
      expect(
        await store.recordFinding({
          key: 'k2',
          ticketId: null,
          finding: finding({ state: 'cleared', at: T0 + HOUR }),
        }),
      ).toBe(false);
      expect(await store.listFindings({ limit: 10 })).toEqual([
        { key: 'k2', ticketId: null, finding: finding({ state: 'cleared', at: T0 + HOUR }) },
        { key: 'k1', ticketId: ticket.id, finding: f },
      ]);
      expect((await store.listFindings({ ticketId: ticket.id, limit: 10 })).map((s) => s.key)).toEqual([
        'k1',
      ]);
      expect((await store.listFindings({ state: 'cleared', limit: 10 })).map((s) => s.key)).toEqual(['k2']);
      expect(await store.listFindings({ device: 'nobody', limit: 10 })).toEqual([]);
    });

    it('lists tickets newest first with filters, limit and offset', async () => {
      await create({ device: 'a', openedAt: T0, priority: 'P1' });
      await create({ device: 'b', openedAt: T0 + HOUR, kind: 'reactive', faultCode: null, conditions: [] });
      await create({
        device: 'c',
        openedAt: T0 + 2 * HOUR,
        category: 'data_quality',
        faultCode: 'OFFLINE',
        outletId: 'o-1',
      });
      const d = await create({ device: 'd', openedAt: T0 + 3 * HOUR });
      await store.updateTicket(
        { ...d, status: 'closed', followUp: { reason: 'NPS 3', dueSince: T0, doneAt: null } },
        { history: [] },
      );

      const devices = (tickets: Ticket[]) => tickets.map((t) => t.device);
      expect(devices(await store.listTickets({}))).toEqual(['d', 'c', 'b', 'a']);
      expect(devices(await store.listTickets({ status: ['open'] }))).toEqual(['c', 'b', 'a']);
      expect(devices(await store.listTickets({ status: ['closed', 'cancelled'] }))).toEqual(['d']);
      expect(devices(await store.listTickets({ priority: ['P1'] }))).toEqual(['a']);
      expect(devices(await store.listTickets({ device: 'b' }))).toEqual(['b']);
      expect(devices(await store.listTickets({ category: 'data_quality' }))).toEqual(['c']);
      expect(devices(await store.listTickets({ kind: 'reactive' }))).toEqual(['b']);
      expect(devices(await store.listTickets({ outletId: 'o-1' }))).toEqual(['c']);
      expect(devices(await store.listTickets({ openedFrom: T0 + HOUR, openedTo: T0 + 3 * HOUR }))).toEqual([
        'c',
        'b',
      ]);
      expect(devices(await store.listTickets({ followUpDue: true }))).toEqual(['d']);
      expect(devices(await store.listTickets({ limit: 2, offset: 1 }))).toEqual(['c', 'b']);
    });

    it('finds past fixes by the detector code or the diagnosed code, on the same model only', async () => {
      const fix = (resolutionCode: string, faultCode: string, firstTimeFix = true) => ({
        resolutionCode,
        faultCode,
        parts: [{ partNumber: 'BRG-6204', quantity: 2 }],
        firstTimeFix,
      });
      const a = await create({ device: 'a', faultCode: 'VIB-TREND' });
      await store.updateTicket(
        { ...a, status: 'resolved', resolvedAt: T0 + HOUR, resolution: fix('REPLACE-BEARING', 'VIB-TREND') },
        { history: [] },
      );
      const b = await create({ device: 'b', kind: 'reactive', faultCode: null, conditions: [] });
      await store.updateTicket(
        {
          ...b,
          status: 'closed',
          resolvedAt: T0 + 2 * HOUR,
          resolution: fix('BALANCE-FAN', 'VIB-TREND', false),
        },
        { history: [] },
      );
      await create({ device: 'c', faultCode: 'VIB-TREND' }); // still open: no fix yet
      const d = await create({ device: 'd', model: 'FR-300' });
      await store.updateTicket(
        { ...d, status: 'resolved', resolvedAt: T0, resolution: fix('OTHER-MODEL', 'VIB-TREND') },
        { history: [] },
      );

      const fixes = await store.pastFixes('AC-2000', 'VIB-TREND');
      expect(fixes.map((f) => [f.ticketId, f.resolution.resolutionCode, f.resolvedAt]).sort()).toEqual(
        [
          [a.id, 'REPLACE-BEARING', T0 + HOUR],
          [b.id, 'BALANCE-FAN', T0 + 2 * HOUR],
        ].sort(),
      );
      expect(await store.pastFixes('AC-2000', 'TEMP-HIGH')).toEqual([]);
    });

    it('keeps outlets and counts only their active tickets as load', async () => {
      const outlet: Outlet = {
        id: 'o-1',
        name: 'North',
        lat: 48,
        lon: 11,
        capacity: 2,
        skills: ['AC-2000'],
        rating: 4,
        createdAt: T0,
      };
      await store.saveOutlet(outlet);
      await store.saveOutlet({ ...outlet, id: 'o-2', name: 'South' });
      await store.saveOutlet({ ...outlet, rating: 5 });
      expect(await store.getOutlet('o-1')).toEqual({ ...outlet, rating: 5 });
      expect((await store.listOutlets()).map((o) => o.id)).toEqual(['o-1', 'o-2']);

      await create({ device: 'a', outletId: 'o-1' });
      const done = await create({ device: 'b', outletId: 'o-1' });
      await store.updateTicket({ ...done, status: 'cancelled' }, { history: [] });
      await create({ device: 'c', outletId: 'o-2', status: 'in_progress' });
      expect(await store.outletLoad()).toEqual(
        new Map([
          ['o-1', 1],
          ['o-2', 1],
        ]),
      );

      expect(await store.deleteOutlet('o-2')).toBe(true);
      expect(await store.deleteOutlet('o-2')).toBe(false);
      expect(await store.getOutlet('o-2')).toBeNull();
    });

    it('keeps webhook targets and an upserted delivery log, newest first', async () => {
      const target = {
        id: 'w-1',
        url: 'http://127.0.0.1:9/x',
        secret: 's'.repeat(16),
        events: ['ticket.opened' as const],
        source: 'api' as const,
        createdAt: T0,
      };
      await store.saveWebhook(target);
      await store.saveWebhook({ ...target, id: 'w-2', createdAt: T0 + 1 });
      expect((await store.listWebhooks()).map((w) => w.id)).toEqual(['w-1', 'w-2']);
      expect(await store.deleteWebhook('w-2')).toBe(true);
      expect(await store.listWebhooks()).toEqual([target]);

      const delivery: WebhookDelivery = {
        id: 'd-1',
        webhookId: 'w-1',
        event: 'ticket.opened',
        ticketId: 'T-1',
        body: '{"a":1}',
        state: 'pending',
        attempts: [],
        createdAt: T0,
        nextAttemptAt: T0,
      };
      await store.saveDelivery(delivery);
      await store.saveDelivery({ ...delivery, id: 'd-2', webhookId: 'w-2', createdAt: T0 + 1 });
      const retried = {
        ...delivery,
        state: 'delivered' as const,
        nextAttemptAt: null,
        attempts: [{ at: T0, status: 200, error: null, durationMs: 3 }],
      };
      await store.saveDelivery(retried);
      expect((await store.listDeliveries({ limit: 10 })).map((d) => d.id)).toEqual(['d-2', 'd-1']);
      expect(await store.listDeliveries({ webhookId: 'w-1', limit: 10 })).toEqual([retried]);
      expect((await store.listDeliveries({ state: 'pending', limit: 10 })).map((d) => d.id)).toEqual(['d-2']);
    });

    it('keeps everything across a restart when the backend persists', async () => {
      if (!harness.reopen) return;
      const ticket = await create({}, [entry('opened')]);
      await store.recordFinding({ key: 'k', ticketId: null, finding: finding() });
      await store.close();
      store = harness.reopen();
      await store.open();
      expect(await store.getTicket(ticket.id)).toEqual(ticket);
      expect(await store.history(ticket.id)).toEqual([entry('opened')]);
      expect((await store.createTicket(newTicket(), { history: [] })).outcome).toBe('conflict');
      expect(await store.recordFinding({ key: 'k', ticketId: null, finding: finding() })).toBe(false);
      expect((await create({ device: 'new' })).id).toBe('T-2');
    });
  });
}
