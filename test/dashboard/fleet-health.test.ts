import { describe, expect, it } from 'vitest';
import { deviceHealth, fleetHealth, OFFLINE_AFTER_MS } from '../../api/routes/fleet.js';
import type { Device, Reading } from '../../core/types.js';
import type { Ticket } from '../../tickets/types.js';
import { HOUR, MINUTE, newTicket, T0 } from '../tickets/fixtures.js';

const NOW = T0 + 2 * HOUR;

function device(overrides: Partial<Device> = {}): Device {
  return {
    id: 'ac-1',
    model: 'AC-2000',
    lat: null,
    lon: null,
    customer: 'Mall North',
    installedAt: null,
    createdAt: new Date(T0 - 30 * 24 * HOUR).toISOString(),
    lastSeenAt: new Date(NOW - MINUTE).toISOString(),
    online: true,
    ...overrides,
  };
}

let ids = 0;
function ticket(overrides: Partial<Ticket> = {}): Ticket {
  ids += 1;
  return { id: `T-${ids}`, version: 1, ...newTicket(overrides), ...overrides };
}

const reading = (ts: number, device = 'ac-1'): Reading => ({
  device,
  ts,
  metrics: { vibration_rms: 0.6, temperature_c: 48 },
});

describe('deviceHealth', () => {
  it('calls an online device without active tickets healthy, with full score and no reasons', () => {
    const health = deviceHealth(device(), [], reading(NOW - MINUTE), NOW);
    expect(health).toMatchObject({ health: 'healthy', score: 100, reasons: [], openTickets: 0 });
    expect(health.latest).toEqual({
      ts: new Date(NOW - MINUTE).toISOString(),
      metrics: { vibration_rms: 0.6, temperature_c: 48 },
    });
  });

  it('maps ticket priority and category to states', () => {
    const state = (t: Partial<Ticket>) => deviceHealth(device(), [ticket(t)], undefined, NOW).health;
    expect(state({ priority: 'P1', category: 'machine' })).toBe('critical');
    expect(state({ priority: 'P2', category: 'machine' })).toBe('warning');
    expect(state({ priority: 'P3', category: 'machine' })).toBe('watch');
    // A broken sensor escalated by a missed SLA is urgent work, not a machine about to fail.
    expect(state({ priority: 'P1', category: 'data_quality', faultCode: 'SENSOR-STUCK' })).toBe('warning');
    expect(state({ priority: 'P3', category: 'data_quality', faultCode: 'SENSOR-STUCK' })).toBe('watch');
  });

  it('counts an active critical machine condition as critical whatever the priority', () => {
    const t = ticket({ priority: 'P2' });
    t.conditions = [{ ...t.conditions[0], severity: 'critical', state: 'active' }];
    expect(deviceHealth(device(), [t], undefined, NOW).health).toBe('critical');
    t.conditions = [{ ...t.conditions[0], state: 'cleared' }];
    expect(deviceHealth(device(), [t], undefined, NOW).health).toBe('warning');
  });

  it('lists every active ticket as a reason, most urgent first, with its other active conditions', () => {
    const p3 = ticket({ priority: 'P3', title: 'SENSOR-STUCK on temperature_c', faultCode: 'SENSOR-STUCK' });
    const p1 = ticket({ priority: 'P1', title: 'VIB-TREND on vibration_rms' });
    p1.conditions.push({ ...p1.conditions[0], faultCode: 'VIB-ZONE-C' });
    const health = deviceHealth(device(), [p3, p1], undefined, NOW);
    expect(health.reasons).toEqual([
      `P1 ${p1.id} open: VIB-TREND on vibration_rms; also VIB-ZONE-C`,
      `P3 ${p3.id} open: SENSOR-STUCK on temperature_c`,
    ]);
    expect(health.openTickets).toBe(2);
  });

  it('calls a disconnected device offline only once it has been silent past the grace period', () => {
    const quietFor = (ms: number) =>
      deviceHealth(
        device({ online: false, lastSeenAt: new Date(NOW - ms).toISOString() }),
        [],
        undefined,
        NOW,
      );
    expect(quietFor(OFFLINE_AFTER_MS - MINUTE).health).toBe('healthy');
    const offline = quietFor(OFFLINE_AFTER_MS + MINUTE);
    expect(offline.health).toBe('offline');
    expect(offline.reasons).toEqual([
      `offline, last heard ${new Date(NOW - OFFLINE_AFTER_MS - MINUTE).toISOString()}`,
    ]);
  });

  it('takes a recent stored reading as a sign of life and flags a device never heard from', () => {
    const silent = device({ online: false, lastSeenAt: null });
    expect(deviceHealth(silent, [], reading(NOW - MINUTE), NOW).health).toBe('healthy');
    expect(deviceHealth(silent, [], undefined, NOW)).toMatchObject({
      health: 'offline',
      reasons: ['never heard from'],
    });
  });

  it('lets critical and warning outrank offline, and offline outrank watch, keeping every reason', () => {
    const gone = device({ online: false, lastSeenAt: new Date(NOW - HOUR).toISOString() });
    const critical = deviceHealth(gone, [ticket({ priority: 'P1' })], undefined, NOW);
    expect(critical.health).toBe('critical');
    expect(critical.reasons[1]).toMatch(/^offline/);
    const watched = deviceHealth(gone, [ticket({ priority: 'P3' })], undefined, NOW);
    expect(watched.health).toBe('offline');
    expect(watched.reasons[0]).toMatch(/^offline/);
    expect(watched.reasons).toHaveLength(2);
  });

  it('scores by state first and then by the number of reasons, within each state band', () => {
    const score = (tickets: Ticket[], online = true) =>
      deviceHealth(device({ online, lastSeenAt: null }), tickets, undefined, NOW).score;
    const p = (priority: Ticket['priority']) => ticket({ priority });
    const ordered = [
      score([p('P1'), p('P1'), p('P1'), p('P1'), p('P1'), p('P1'), p('P1')]),
      score([p('P1')]),
      score([p('P2'), p('P3')]),
      score([p('P2')]),
      score([], false),
      score([p('P3'), p('P3')]),
      score([p('P3')]),
      score([]),
    ];
    expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
    expect(new Set(ordered).size).toBe(ordered.length);
    expect(Math.min(...ordered)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ordered)).toBe(100);
  });
});

describe('fleetHealth', () => {
  it('summarises states, links, tickets by priority and overdue SLA clocks in one answer', () => {
    const devices = [
      device({ id: 'a' }),
      device({ id: 'b' }),
      device({ id: 'c', online: false, lastSeenAt: null }),
      device({ id: 'd' }),
    ];
    const tickets = [
      // Respond-by passed without a response: overdue.
      ticket({ device: 'a', priority: 'P1', respondDueAt: NOW - MINUTE, resolveDueAt: NOW + HOUR }),
      // Responded in time, resolve-by still ahead: not overdue.
      ticket({
        device: 'b',
        priority: 'P3',
        respondDueAt: NOW - MINUTE,
        firstResponseAt: NOW - 2 * MINUTE,
        resolveDueAt: NOW + HOUR,
      }),
      // Resolve-by passed: overdue even though someone responded.
      ticket({
        device: 'b',
        priority: 'P2',
        firstResponseAt: NOW - HOUR,
        respondDueAt: NOW + HOUR,
        resolveDueAt: NOW - 1,
      }),
      // A reactive ticket on a unit that is not registered still counts among the open tickets.
      ticket({
        device: 'unregistered',
        priority: 'P2',
        respondDueAt: NOW + HOUR,
        resolveDueAt: NOW + 2 * HOUR,
      }),
    ];
    const fleet = fleetHealth(devices, tickets, [reading(NOW - MINUTE, 'd'), reading(NOW - HOUR, 'a')], NOW);

    expect(fleet.generatedAt).toBe(new Date(NOW).toISOString());
    expect(fleet.summary).toEqual({
      devices: 4,
      online: 3,
      health: { healthy: 1, watch: 0, warning: 1, critical: 1, offline: 1 },
      openTickets: { P1: 1, P2: 2, P3: 1, total: 4 },
      slaOverdue: 2,
    });
    expect(fleet.devices.map((d) => [d.id, d.health, d.openTickets])).toEqual([
      ['a', 'critical', 1],
      ['b', 'warning', 2],
      ['c', 'offline', 0],
      ['d', 'healthy', 0],
    ]);
    expect(fleet.devices.find((d) => d.id === 'a')?.latest?.ts).toBe(new Date(NOW - HOUR).toISOString());
    expect(fleet.devices.find((d) => d.id === 'c')?.latest).toBeNull();
  });
});
