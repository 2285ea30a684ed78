import { describe, expect, it } from 'vitest';
import {
  parseTicketLines,
  parseTruth,
  scoreTickets,
  type TicketLine,
  type Truth,
} from '../../rules/score.js';

const iso = (day: number, hour = 0, minute = 0) =>
  new Date(Date.UTC(2025, 5, 1 + day, hour, minute)).toISOString();

const truth: Truth = parseTruth({
  start: iso(0),
  end: iso(20),
  devices: [
    { id: 'a', model: 'PU-55', region: 'north' },
    { id: 'b', model: 'PU-55', region: 'north' },
    { id: 'c', model: 'AC-2000', region: 'south' },
    { id: 'd', model: 'AC-2000', region: 'south' },
    { id: 'e', model: 'FR-300', region: 'south' },
  ],
  faults: [
    { device: 'a', kind: 'bearing_wear', category: 'machine', onset: iso(2), failure: iso(12), end: null },
    { device: 'b', kind: 'fan_failure', category: 'machine', onset: iso(5), failure: iso(5, 10), end: null },
    {
      device: 'c',
      kind: 'refrigerant_leak',
      category: 'machine',
      onset: iso(15),
      failure: iso(25),
      end: null,
    },
    {
      device: 'd',
      kind: 'sensor_stuck',
      category: 'data_quality',
      onset: iso(3),
      failure: null,
      end: iso(4),
    },
  ],
  heatWaves: [{ region: 'south', start: iso(8), end: iso(10) }],
});

function line(
  device: string,
  at: string,
  faultCode: string,
  event: TicketLine['event'] = 'ticket_opened',
): TicketLine {
  return {
    event,
    at,
    device,
    model: truth.devices.find((d) => d.id === device)?.model ?? 'PU-55',
    fault_code: faultCode,
    category: faultCode === 'SENSOR-STUCK' ? 'data_quality' : 'machine',
    priority: 'P2',
    metric: faultCode.startsWith('TEMP') ? 'temperature_c' : 'vibration_rms',
    predicted_failure_at: null,
  };
}

describe('scoreTickets', () => {
  it('counts a machine ticket between onset − tolerance and failure as a detection, with its lead time', () => {
    const report = scoreTickets(
      [line('a', iso(1, 23, 30), 'VIB-DRIFT'), line('b', iso(5, 8), 'TEMP-DRIFT')],
      truth,
    );
    expect(report.machine.byKind.bearing_wear).toMatchObject({ scored: 1, detected: 1, recall: 1 });
    // Onset day 2, ticket 30 minutes before it, failure day 12: lead 240.5 h of a 240 h span.
    expect(report.machine.byKind.bearing_wear.leadHours.median).toBeCloseTo(240.5, 6);
    expect(report.machine.byKind.fan_failure.leadHours.median).toBeCloseTo(2, 6);
    expect(report.machine.byKind.fan_failure.leadShare.median).toBeCloseTo(0.2, 6);
    expect(report.machine.total).toMatchObject({ scored: 2, detected: 2, recall: 1, failingLater: 1 });
    expect(report.falseTickets.total).toBe(0);
  });

  it('misses a fault ticketed too early, too late, or only by a data-quality ticket', () => {
    const report = scoreTickets(
      [
        line('a', iso(1), 'VIB-DRIFT'),
        line('b', iso(5, 11), 'TEMP-HIGH'),
        line('b', iso(5, 1), 'SENSOR-STUCK'),
      ],
      truth,
    );
    expect(report.machine.total.detected).toBe(0);
    expect(report.machine.total.missed).toEqual(['a', 'b']);
    expect(report.falseTickets.total).toBe(1);
    expect(report.lateTickets).toBe(1);
    expect(report.targets.find((t) => t.name === 'recall')?.met).toBe(false);
  });

  it('tells duplicates, heat-wave tickets and data-quality faults taken for machine faults apart', () => {
    const report = scoreTickets(
      [
        line('a', iso(3), 'VIB-DRIFT'),
        line('a', iso(4), 'TEMP-DRIFT'),
        line('e', iso(9), 'TEMP-DRIFT'),
        line('d', iso(3, 12), 'TEMP-DRIFT'),
        line('d', iso(3, 1), 'SENSOR-STUCK'),
        line('e', iso(14), 'VIB-STEP'),
        line('e', iso(14, 5), 'VIB-STEP', 'ticket_updated'),
      ],
      truth,
    );
    expect(report.duplicates).toBe(1);
    expect(report.falseTickets).toMatchObject({
      total: 3,
      duringHeatWaves: 1,
      duringDataQualityFaults: 1,
      onHealthyDevices: 3,
    });
    expect(report.falseTickets.list.map((f) => f.cause)).toEqual(['data_quality', 'heat_wave', 'none']);
    expect(report.dataQuality.byKind.sensor_stuck).toEqual({ faults: 1, ticketed: 1, mistaken: 1 });
    // Healthy time: 5 devices × 20 days less a's 10 days, b's 10 hours and c's 5 days (+1 h tolerance each).
    const healthy = 100 - (10 + 1 / 24) - (10 / 24 + 1 / 24) - (5 + 1 / 24);
    expect(report.healthyDeviceDays).toBeCloseTo(healthy, 9);
    expect(report.falseTickets.per1000DeviceDays).toBeCloseTo((3 / healthy) * 1000, 9);
    expect(report.tickets).toMatchObject({ opened: 6, machine: 5, dataQuality: 1 });
  });

  it('parses event lines and reports every bad one with its line number', () => {
    const good = JSON.stringify(line('a', iso(3), 'VIB-DRIFT'));
    expect(parseTicketLines(`${good}\n\n${good}\n`)).toHaveLength(2);
    expect(() => parseTicketLines(`${good}\nnot json\n{"event":"ticket_opened"}`)).toThrow(
      /line 2: not JSON[\s\S]*line 3: at: /,
    );
    expect(() => parseTruth({ start: 'yesterday' })).toThrow(/start: must be an ISO-8601 time/);
  });
});
