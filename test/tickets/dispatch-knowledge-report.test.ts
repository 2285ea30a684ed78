import { describe, expect, it } from 'vitest';
import { createTicketService, TicketServiceError } from '../../tickets/service.js';
import { SqliteTicketStore } from '../../tickets/sqlite-store.js';
import type { Outlet, Resolution } from '../../tickets/types.js';
import { finding, HOUR, MINUTE, T0 } from './fixtures.js';

const SITES: Record<string, { lat: number; lon: number }> = {
  'ac-1': { lat: 48.137, lon: 11.575 }, // Munich centre
  'ac-2': { lat: 48.14, lon: 11.58 },
  'ac-3': { lat: 48.13, lon: 11.57 },
};

function outlet(id: string, lat: number, lon: number, extra: Partial<Outlet> = {}): Outlet {
  return {
    id,
    name: `Outlet ${id}`,
    lat,
    lon,
    capacity: 1,
    skills: ['AC-2000'],
    rating: 3,
    createdAt: T0,
    ...extra,
  };
}

function setup() {
  let now = T0;
  const store = new SqliteTicketStore(':memory:');
  const service = createTicketService({ store, clock: () => now, deviceLocation: (id) => SITES[id] });
  return {
    store,
    service,
    setNow(ms: number) {
      now = ms;
    },
  };
}

describe('dispatch to outlets', () => {
  it('assigns the nearest outlet with capacity and the skill, moving on when it is full', async () => {
    const { store, service, setNow } = setup();
    await store.open();
    await store.saveOutlet(outlet('schwabing', 48.16, 11.58)); // ~2.5 km
    await store.saveOutlet(outlet('centre-fridges', 48.137, 11.576, { skills: ['FR-300'], capacity: 10 }));
    await store.saveOutlet(outlet('pasing', 48.15, 11.46, { capacity: 5 })); // ~8.6 km
    await store.saveOutlet(outlet('berlin', 52.52, 13.4, { capacity: 99, rating: 5 }));

    const [first] = await service.handleFinding(finding({ device: 'ac-1' }));
    expect(first.ticket.outletId).toBe('schwabing');
    const [second] = await service.handleFinding(finding({ device: 'ac-2' }));
    expect(second.ticket.outletId).toBe('pasing');
    const history = await service.history(first.ticket.id);
    expect(history[1]).toMatchObject({
      actor: 'system:dispatch',
      action: 'assigned',
      from: null,
      to: 'schwabing',
    });
    expect(history[1].note).toMatch(/Outlet schwabing, 2\.\d km/);

    // Finishing a ticket frees the slot.
    await service.transition(first.ticket.id, {
      to: 'no_fault_found',
      actor: 'tom',
      note: 'readings normal on site',
    });
    const [third] = await service.handleFinding(finding({ device: 'ac-3' }));
    expect(third.ticket.outletId).toBe('schwabing');

    setNow(T0 + HOUR);
    await service.transition(third.ticket.id, { to: 'in_progress', actor: 'tom' });
    await service.transition(third.ticket.id, {
      to: 'resolved',
      actor: 'tom',
      resolution: repair('TIGHTEN-MOUNT', true),
    });
    expect((await service.stats(T0, T0 + 24 * HOUR)).outlets).toEqual([
      { outletId: 'schwabing', tickets: 2, resolved: 1, mttrHours: 1, csatAverage: null },
      { outletId: 'pasing', tickets: 1, resolved: 0, mttrHours: null, csatAverage: null },
    ]);
  });

  it('leaves a ticket unassigned when no outlet can take it, and lets a person reassign', async () => {
    const { store, service, setNow } = setup();
    await store.open();
    const [opened] = await service.handleFinding(finding({ device: 'ac-1' }));
    expect(opened.ticket.outletId).toBeNull();
    await store.saveOutlet(outlet('pasing', 48.15, 11.46));
    await store.saveOutlet(outlet('far', 48.5, 11.9));

    setNow(T0 + HOUR);
    const auto = await service.assign(opened.ticket.id, { auto: true, actor: 'dana' });
    expect(auto).toMatchObject({ outletId: 'pasing', firstResponseAt: T0 + HOUR });
    const manual = await service.assign(opened.ticket.id, {
      outletId: 'far',
      actor: 'dana',
      note: 'pasing is on strike',
    });
    expect(manual.outletId).toBe('far');
    const same = await service
      .assign(opened.ticket.id, { outletId: 'far', actor: 'dana' })
      .catch((e: unknown) => e);
    expect(same).toBeInstanceOf(TicketServiceError);
    const unknown = await service
      .assign(opened.ticket.id, { outletId: 'nope', actor: 'dana' })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ kind: 'invalid', field: 'outletId' });
    const moves = (await service.history(opened.ticket.id)).filter((h) => h.action === 'assigned');
    expect(moves.map((h) => [h.actor, h.from, h.to])).toEqual([
      ['dana', null, 'pasing'],
      ['dana', 'pasing', 'far'],
    ]);
    expect(moves[1].note).toContain('pasing is on strike');
  });
});

const repair = (resolutionCode: string, firstTimeFix: boolean, faultCode = 'VIB-TREND'): Resolution => ({
  resolutionCode,
  faultCode,
  parts: resolutionCode === 'REPLACE-BEARING' ? [{ partNumber: 'BRG-6204', quantity: 1 }] : [],
  firstTimeFix,
});

describe('knowledge base and measures', () => {
  it('suggests the fixes that worked first time on the same model and fault, and computes the measures', async () => {
    const { service, setNow } = setup();
    const close = async (
      device: string,
      openedAt: number,
      fix: Resolution | 'nff',
      feedback?: { csat: number; nps: number },
    ) => {
      setNow(openedAt);
      const [{ ticket }] = await service.handleFinding(finding({ device, at: openedAt }));
      setNow(openedAt + 30 * MINUTE);
      if (fix === 'nff') return service.transition(ticket.id, { to: 'no_fault_found', actor: 'tom' });
      await service.transition(ticket.id, { to: 'in_progress', actor: 'tom' });
      setNow(openedAt + 4 * HOUR);
      await service.transition(ticket.id, { to: 'resolved', actor: 'tom', resolution: fix });
      return service.transition(ticket.id, {
        to: 'closed',
        actor: 'dana',
        feedback: feedback ? { ...feedback, comment: null } : undefined,
      });
    };
    await close('d1', T0, repair('TIGHTEN-MOUNT', false), { csat: 3, nps: 6 });
    await close('d2', T0 + HOUR, repair('REPLACE-BEARING', true), { csat: 5, nps: 10 });
    await close('d3', T0 + 2 * HOUR, repair('REPLACE-BEARING', true), { csat: 4, nps: 9 });
    await close('d4', T0 + 3 * HOUR, repair('TIGHTEN-MOUNT', true));
    await close('d5', T0 + 4 * HOUR, 'nff');
    await service.openReactive({ device: 'd6', model: 'AC-2000', title: 'noisy', reportedBy: 'customer' });

    setNow(T0 + 10 * HOUR);
    const [fresh] = await service.handleFinding(finding({ device: 'd7', at: T0 + 10 * HOUR }));
    const detail = await service.detail(fresh.ticket.id);
    expect(detail.suggestions.map((s) => [s.resolutionCode, s.firstTimeFixes, s.timesUsed])).toEqual([
      ['REPLACE-BEARING', 2, 2],
      ['TIGHTEN-MOUNT', 1, 2],
    ]);
    expect(detail.suggestions[0].parts).toEqual([{ partNumber: 'BRG-6204', timesUsed: 2 }]);
    expect(await service.knowledge('FR-300', 'VIB-TREND')).toEqual([]);

    const stats = await service.stats(T0, T0 + 24 * HOUR);
    expect(stats).toMatchObject({
      opened: 7,
      proactive: 6,
      reactive: 1,
      mttrHours: 4,
      firstResponseMinutes: 30,
      firstTimeFix: { resolved: 4, firstTime: 3, rate: 0.75 },
      slaCompliance: { decided: 5, compliant: 5, rate: 1 },
      noFaultFoundByRule: [{ faultCode: 'VIB-TREND', proactiveTickets: 6, noFaultFound: 1, rate: 1 / 6 }],
      satisfaction: { csatResponses: 3, csatAverage: 4, npsResponses: 3, npsAverage: 25 / 3 },
    });
    expect(stats.proactiveShare).toBeCloseTo(6 / 7);
    // One promoter of three minus one detractor of three.
    expect(stats.satisfaction.npsScore).toBeCloseTo(((2 - 1) / 3) * 100);
    expect(stats.followUpsDue.map((f) => f.device)).toEqual(['d1']);
    expect(stats.outlets).toEqual([]);
  });

  it('reports the top-3 fault types per model for a month, counting the diagnosed fault', async () => {
    const { service, setNow } = setup();
    const june = Date.UTC(2024, 5, 10);
    const open = async (
      device: string,
      model: string,
      faultCode: 'VIB-TREND' | 'TEMP-DRIFT' | 'VIB-STEP' | 'TEMP-HIGH',
      at = june,
    ) => (await service.handleFinding(finding({ device, model, faultCode, at })))[0].ticket;
    for (const [i, code] of (
      ['VIB-TREND', 'VIB-TREND', 'VIB-TREND', 'TEMP-DRIFT', 'TEMP-DRIFT', 'VIB-STEP', 'TEMP-HIGH'] as const
    ).entries()) {
      await open(`ac-${i}`, 'AC-2000', code);
    }
    const diagnosed = await open('ac-x', 'AC-2000', 'VIB-STEP');
    setNow(june + HOUR);
    await service.transition(diagnosed.id, { to: 'in_progress', actor: 'tom' });
    await service.transition(diagnosed.id, {
      to: 'resolved',
      actor: 'tom',
      resolution: repair('REPLACE-BEARING', true, 'VIB-TREND'),
    });
    const falseAlarm = await open('ac-y', 'AC-2000', 'TEMP-HIGH');
    await service.transition(falseAlarm.id, { to: 'no_fault_found', actor: 'tom' });
    await open('fr-1', 'FR-300', 'TEMP-DRIFT');
    await open('ac-z', 'AC-2000', 'TEMP-HIGH', Date.UTC(2024, 6, 1)); // July
    await service.handleFinding(finding({ device: 'ac-q', faultCode: 'OFFLINE', at: june }));

    expect(await service.monthlyReport('2024-06')).toEqual({
      month: '2024-06',
      models: [
        {
          model: 'AC-2000',
          tickets: 8,
          topFaults: [
            { faultCode: 'VIB-TREND', count: 4, share: 0.5 },
            { faultCode: 'TEMP-DRIFT', count: 2, share: 0.25 },
            { faultCode: 'TEMP-HIGH', count: 1, share: 0.125 },
          ],
        },
        { model: 'FR-300', tickets: 1, topFaults: [{ faultCode: 'TEMP-DRIFT', count: 1, share: 1 }] },
      ],
    });
    await expect(service.monthlyReport('June')).rejects.toMatchObject({ kind: 'invalid', field: 'month' });
  });
});
