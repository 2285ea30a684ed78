import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../core/bus.js';
import { createTicketService } from '../../tickets/service.js';
import { type SlaMonitor, startSlaMonitor } from '../../tickets/sla-monitor.js';
import { SqliteTicketStore } from '../../tickets/sqlite-store.js';
import type { SlaBreach, Ticket } from '../../tickets/types.js';
import { finding, HOUR, MINUTE, T0 } from './fixtures.js';

function setup() {
  let now = T0;
  const bus = new EventBus((_event, error) => {
    throw error;
  });
  const breaches: { ticket: Ticket; breach: SlaBreach }[] = [];
  bus.on('slaBreached', (ticket, breach) => {
    breaches.push({ ticket, breach });
  });
  const updates: string[] = [];
  bus.on('ticketUpdated', (ticket, change) => {
    updates.push(`${ticket.id}:${change.kind}`);
  });
  const service = createTicketService({ store: new SqliteTicketStore(':memory:'), clock: () => now, bus });
  return {
    service,
    breaches,
    updates,
    setNow(ms: number) {
      now = ms;
    },
  };
}

describe('SLA breach escalation (simulated clock)', () => {
  it('climbs P3 → P2 → P1 while nobody responds, with every step in the history', async () => {
    const { service, breaches, updates } = setup();
    await service.handleFinding(finding({ severity: 'info' })); // P3: respond 24 h, resolve 72 h
    expect(await service.checkSla(T0 + 24 * HOUR - 1)).toEqual([]);

    const first = await service.checkSla(T0 + 24 * HOUR);
    expect(first).toHaveLength(1);
    expect(first[0].breaches).toEqual([
      {
        clock: 'respond',
        dueAt: T0 + 24 * HOUR,
        at: T0 + 24 * HOUR,
        priorityBefore: 'P3',
        priorityAfter: 'P2',
      },
    ]);
    expect(first[0].ticket).toMatchObject({
      priority: 'P2',
      respondDueAt: T0 + 25 * HOUR,
      resolveDueAt: T0 + 48 * HOUR,
    });
    // Checking again at the same time changes nothing.
    expect(await service.checkSla(T0 + 24 * HOUR + MINUTE)).toEqual([]);

    const second = await service.checkSla(T0 + 25 * HOUR);
    expect(second[0].ticket).toMatchObject({
      priority: 'P1',
      respondDueAt: T0 + 25 * HOUR + 15 * MINUTE,
      resolveDueAt: T0 + 29 * HOUR,
    });
    const third = await service.checkSla(T0 + 26 * HOUR);
    expect(third[0].breaches).toEqual([
      {
        clock: 'respond',
        dueAt: T0 + 25 * HOUR + 15 * MINUTE,
        at: T0 + 26 * HOUR,
        priorityBefore: 'P1',
        priorityAfter: 'P1',
      },
    ]);
    expect(await service.checkSla(T0 + 27 * HOUR)).toEqual([]);

    expect(breaches.map((b) => [b.breach.clock, b.breach.priorityAfter, b.ticket.priority])).toEqual([
      ['respond', 'P2', 'P2'],
      ['respond', 'P1', 'P1'],
      ['respond', 'P1', 'P1'],
    ]);
    expect(updates).toEqual(['T-1:sla_breach', 'T-1:sla_breach', 'T-1:sla_breach']);
    const history = (await service.history('T-1')).filter((h) => h.actor === 'system:sla');
    expect(history.map((h) => [h.at - T0, h.action, h.from, h.to])).toEqual([
      [24 * HOUR, 'sla_breach', null, 'respond'],
      [24 * HOUR, 'priority', 'P3', 'P2'],
      [25 * HOUR, 'sla_breach', null, 'respond'],
      [25 * HOUR, 'priority', 'P2', 'P1'],
      [26 * HOUR, 'sla_breach', null, 'respond'],
    ]);
  });

  it('stops the respond clock at the first response and still watches the resolve clock', async () => {
    const { service, setNow } = setup();
    await service.handleFinding(finding()); // P2: respond 1 h, resolve 24 h
    setNow(T0 + 30 * MINUTE);
    await service.transition('T-1', { to: 'acknowledged', actor: 'dana' });
    expect(await service.checkSla(T0 + 23 * HOUR)).toEqual([]);
    const late = await service.checkSla(T0 + 24 * HOUR);
    expect(late[0].breaches.map((b) => [b.clock, b.priorityAfter])).toEqual([['resolve', 'P1']]);
    expect(late[0].ticket.resolveDueAt).toBe(T0 + 28 * HOUR);
  });

  it('handles both clocks missed at once, and ignores finished tickets', async () => {
    const { service, setNow } = setup();
    await service.handleFinding(finding({ device: 'a' }));
    await service.handleFinding(finding({ device: 'b' }));
    setNow(T0 + 10 * MINUTE);
    await service.transition('T-2', { to: 'cancelled', actor: 'dana', note: 'duplicate of a phone call' });
    const results = await service.checkSla(T0 + 30 * HOUR);
    expect(results.map((r) => r.ticket.id)).toEqual(['T-1']);
    expect(results[0].breaches.map((b) => `${b.clock}:${b.priorityBefore}→${b.priorityAfter}`)).toEqual([
      'respond:P2→P1',
      'resolve:P1→P1',
    ]);
  });
});

describe('the SLA cron job', () => {
  let monitor: SlaMonitor | undefined;
  afterEach(async () => {
    await monitor?.stop();
  });

  it('refuses a bad cron expression', () => {
    expect(() =>
      startSlaMonitor({
        service: { checkSla: async () => [] },
        cronExpression: 'every minute',
        clock: () => T0,
      }),
    ).toThrow("SLA monitor: 'every minute' is not a valid cron expression");
  });

  it('runs the check on schedule with the clock it was given, until stopped', async () => {
    const { service } = setup();
    await service.handleFinding(finding());
    const checked: number[] = [];
    const observed = {
      checkSla: async (now: number) => {
        checked.push(now);
        return service.checkSla(now);
      },
    };
    monitor = startSlaMonitor({
      service: observed,
      cronExpression: '* * * * * *',
      clock: () => T0 + 2 * HOUR,
    });
    const deadline = Date.now() + 3_000;
    while (checked.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await monitor.stop();
    monitor = undefined;
    expect(checked[0]).toBe(T0 + 2 * HOUR);
    expect((await service.getTicket('T-1')).priority).toBe('P1');
    const runs = checked.length;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(checked.length).toBe(runs);
  });
});
