import { describe, expect, it } from 'vitest';
import { ticketsConfigSchema } from '../../tickets/config.js';
import { chooseOutlet, distanceKm } from '../../tickets/dispatch.js';
import { rankFixes } from '../../tickets/knowledge.js';
import { transitionProblem } from '../../tickets/lifecycle.js';
import { escalate, priorityForFinding } from '../../tickets/priority.js';
import { DEFAULT_SLA_POLICY, findBreach, slaPolicySchema } from '../../tickets/sla.js';
import type { Outlet, Ticket } from '../../tickets/types.js';
import { finding, HOUR, MINUTE, newTicket, T0 } from './fixtures.js';

describe('priority', () => {
  it('is P1 for critical findings or a failure predicted within 24 h', () => {
    expect(priorityForFinding(finding({ severity: 'critical' }))).toBe('P1');
    expect(priorityForFinding(finding({ severity: 'info', predictedFailureAt: T0 + 24 * HOUR }))).toBe('P1');
  });
  it('is P2 for warnings or a failure predicted within 7 days, P3 otherwise', () => {
    expect(priorityForFinding(finding({ severity: 'warning' }))).toBe('P2');
    expect(priorityForFinding(finding({ severity: 'info', predictedFailureAt: T0 + 24 * HOUR + 1 }))).toBe(
      'P2',
    );
    expect(priorityForFinding(finding({ severity: 'info', predictedFailureAt: T0 + 7 * 24 * HOUR }))).toBe(
      'P2',
    );
    expect(priorityForFinding(finding({ severity: 'info', predictedFailureAt: T0 + 8 * 24 * HOUR }))).toBe(
      'P3',
    );
    expect(priorityForFinding(finding({ severity: 'info' }))).toBe('P3');
  });
  it('is P3 for data-quality findings whatever their severity', () => {
    expect(priorityForFinding(finding({ faultCode: 'OFFLINE', severity: 'critical' }))).toBe('P3');
  });
  it('escalates one step and stops at P1', () => {
    expect([escalate('P3'), escalate('P2'), escalate('P1')]).toEqual(['P2', 'P1', 'P1']);
  });
});

describe('SLA deadlines', () => {
  const ticket = (overrides: Partial<Ticket> = {}): Ticket => ({
    ...newTicket({ priority: 'P3', respondDueAt: T0 + 24 * HOUR, resolveDueAt: T0 + 72 * HOUR }),
    id: 'T-1',
    version: 1,
    ...overrides,
  });

  it('finds nothing before a deadline, or for a deadline already met', () => {
    expect(findBreach(DEFAULT_SLA_POLICY, ticket(), T0 + 24 * HOUR - 1)).toBeNull();
    expect(findBreach(DEFAULT_SLA_POLICY, ticket({ firstResponseAt: T0 + HOUR }), T0 + 30 * HOUR)).toBeNull();
  });

  it('escalates a missed response, re-arming it with the new target and tightening the other', () => {
    const now = T0 + 24 * HOUR;
    expect(findBreach(DEFAULT_SLA_POLICY, ticket(), now)).toEqual({
      breach: { clock: 'respond', dueAt: T0 + 24 * HOUR, at: now, priorityBefore: 'P3', priorityAfter: 'P2' },
      respondDueAt: now + 60 * MINUTE,
      resolveDueAt: now + 24 * HOUR,
    });
  });

  it('records a P1 breach once and then leaves the deadline alone', () => {
    const p1 = ticket({ priority: 'P1', respondDueAt: T0 + 15 * MINUTE, resolveDueAt: T0 + 4 * HOUR });
    const found = findBreach(DEFAULT_SLA_POLICY, p1, T0 + 20 * MINUTE);
    expect(found).toMatchObject({
      breach: { clock: 'respond', priorityAfter: 'P1' },
      respondDueAt: T0 + 15 * MINUTE,
    });
    const after = ticket({ ...p1, slaBreaches: [found!.breach] });
    expect(findBreach(DEFAULT_SLA_POLICY, after, T0 + 3 * HOUR)).toBeNull();
    expect(findBreach(DEFAULT_SLA_POLICY, after, T0 + 4 * HOUR)?.breach.clock).toBe('resolve');
  });

  it('takes a partial policy from configuration and refuses one where P1 allows more than P2', () => {
    expect(slaPolicySchema.parse({ P2: { respondMinutes: 30, resolveMinutes: 600 } })).toEqual({
      ...DEFAULT_SLA_POLICY,
      P2: { respondMinutes: 30, resolveMinutes: 600 },
    });
    const bad = slaPolicySchema.safeParse({ P1: { respondMinutes: 120, resolveMinutes: 240 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({
      path: ['P1', 'respondMinutes'],
      message: expect.stringContaining('P2'),
    });
  });
});

describe('lifecycle', () => {
  it('lets a ticket move forward and end as cancelled or no fault found', () => {
    expect(transitionProblem('open', 'acknowledged')).toBeNull();
    expect(transitionProblem('open', 'in_progress')).toBeNull();
    expect(transitionProblem('dispatched', 'no_fault_found')).toBeNull();
    expect(transitionProblem('in_progress', 'resolved')).toBeNull();
    expect(transitionProblem('resolved', 'closed')).toBeNull();
  });
  it('explains why a change is refused', () => {
    expect(transitionProblem('open', 'closed')).toBe(
      'a ticket cannot go from open to closed; from open it can go to acknowledged, dispatched, in_progress, cancelled, no_fault_found',
    );
    expect(transitionProblem('in_progress', 'acknowledged')).toContain(
      'cannot go from in_progress to acknowledged',
    );
    expect(transitionProblem('closed', 'open')).toBe('the ticket is closed; it cannot change any more');
    expect(transitionProblem('open', 'open')).toBe('the ticket is already open');
  });
});

describe('dispatch', () => {
  const site = { lat: 48.137, lon: 11.575 }; // Munich
  const outlet = (id: string, lat: number, lon: number, extra: Partial<Outlet> = {}): Outlet => ({
    id,
    name: id,
    lat,
    lon,
    capacity: 3,
    skills: ['AC-2000'],
    rating: 3,
    createdAt: T0,
    ...extra,
  });

  it('measures great-circle distance', () => {
    expect(distanceKm(site, { lat: 52.52, lon: 13.405 })).toBeCloseTo(504, 0); // Berlin
  });

  it('picks the nearest outlet that has the skill and a free slot', () => {
    const near = outlet('near', 48.14, 11.58);
    const nearNoSkill = outlet('near-no-skill', 48.137, 11.575, { skills: ['FR-300'] });
    const nearFull = outlet('near-full', 48.138, 11.576, { capacity: 1 });
    const far = outlet('far', 48.4, 11.7, { rating: 5 });
    const outlets = [far, nearNoSkill, nearFull, near];
    const load = new Map([['near-full', 1]]);
    expect(chooseOutlet(outlets, load, 'AC-2000', site)?.outlet.id).toBe('near');
    expect(chooseOutlet(outlets, new Map([...load, ['near', 3]]), 'AC-2000', site)?.outlet.id).toBe('far');
    expect(chooseOutlet(outlets, load, 'PU-55', site)).toBeNull();
  });

  it('breaks a tie in distance by rating', () => {
    const east = outlet('east', 48.137, 11.6, { rating: 3 });
    const west = outlet('west', 48.137, 11.55, { rating: 4.5 });
    expect(chooseOutlet([east, west], new Map(), 'AC-2000', site)?.outlet.id).toBe('west');
    expect(chooseOutlet([east, { ...west, rating: 2 }], new Map(), 'AC-2000', site)?.outlet.id).toBe('east');
  });
});

describe('knowledge base ranking', () => {
  const fix = (
    ticketId: string,
    resolutionCode: string,
    firstTimeFix: boolean,
    resolvedAt: number,
    parts: string[] = [],
  ) => ({
    ticketId,
    resolvedAt,
    resolution: {
      resolutionCode,
      faultCode: 'VIB-TREND',
      parts: parts.map((partNumber) => ({ partNumber, quantity: 1 })),
      firstTimeFix,
    },
  });

  it('ranks fixes by how often they worked first time, then by use', () => {
    const ranked = rankFixes([
      fix('T-1', 'TIGHTEN-MOUNT', false, T0),
      fix('T-2', 'TIGHTEN-MOUNT', false, T0 + 1),
      fix('T-3', 'TIGHTEN-MOUNT', true, T0 + 2),
      fix('T-4', 'REPLACE-BEARING', true, T0 + 3, ['BRG-6204', 'SEAL-1']),
      fix('T-5', 'REPLACE-BEARING', true, T0 + 4, ['BRG-6204']),
      fix('T-6', 'CLEAN-COIL', false, T0 + 5),
    ]);
    expect(ranked.map((s) => [s.resolutionCode, s.firstTimeFixes, s.timesUsed])).toEqual([
      ['REPLACE-BEARING', 2, 2],
      ['TIGHTEN-MOUNT', 1, 3],
      ['CLEAN-COIL', 0, 1],
    ]);
    expect(ranked[0]).toMatchObject({
      firstTimeFixRate: 1,
      parts: [
        { partNumber: 'BRG-6204', timesUsed: 2 },
        { partNumber: 'SEAL-1', timesUsed: 1 },
      ],
      lastUsedAt: T0 + 4,
      exampleTickets: ['T-5', 'T-4'],
    });
    expect(ranked[1].firstTimeFixRate).toBeCloseTo(1 / 3);
  });
});

describe('tickets configuration', () => {
  it('defaults to the standard SLA, a check every minute and no webhooks', () => {
    expect(ticketsConfigSchema.parse(undefined)).toEqual({
      sla: DEFAULT_SLA_POLICY,
      slaCron: '* * * * *',
      webhooks: [],
    });
  });
  it('reports bad values by path', () => {
    const result = ticketsConfigSchema.safeParse({
      slaCron: 'often',
      webhooks: [{ url: 'http://crm.example/hook', secret: 'short' }],
    });
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'slaCron: not a valid cron expression',
      'webhooks.0.secret: must be at least 16 characters',
    ]);
  });
});
