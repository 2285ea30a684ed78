/** Builders for findings and tickets used across the ticket tests. */
import { type FaultCode, type Finding, faultCategory } from '../../rules/finding.js';
import type { NewTicket } from '../../tickets/types.js';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
/** A fixed data time, so failures print the same numbers every run. */
export const T0 = Date.UTC(2024, 5, 3, 8, 0, 0);

export function finding(overrides: Partial<Finding> & { faultCode?: FaultCode } = {}): Finding {
  const faultCode = overrides.faultCode ?? 'VIB-TREND';
  return {
    device: 'ac-1',
    model: 'AC-2000',
    metric: faultCode.startsWith('TEMP') ? 'temperature_c' : 'vibration_rms',
    faultCode,
    category: faultCategory(faultCode),
    severity: 'warning',
    state: 'active',
    at: T0,
    evidence: { current: 2.4, baseline: 0.9, slopePerHour: 0.01 },
    predictedFailureAt: null,
    predictionUncertaintyHours: null,
    ...overrides,
  };
}

let tokens = 0;

export function newTicket(overrides: Partial<NewTicket> = {}): NewTicket {
  tokens += 1;
  return {
    kind: 'proactive',
    device: 'ac-1',
    model: 'AC-2000',
    faultCode: 'VIB-TREND',
    category: 'machine',
    metric: 'vibration_rms',
    severity: 'warning',
    priority: 'P2',
    predictedFailureAt: null,
    status: 'open',
    title: 'VIB-TREND on vibration_rms',
    description: null,
    reportedBy: 'rules',
    conditions: [
      {
        faultCode: overrides.faultCode ?? 'VIB-TREND',
        metric: 'vibration_rms',
        severity: 'warning',
        state: 'active',
        at: T0,
        predictedFailureAt: null,
      },
    ],
    conditionClearedAt: null,
    openedAt: T0,
    updatedAt: T0,
    firstResponseAt: null,
    resolvedAt: null,
    closedAt: null,
    respondDueAt: T0 + HOUR,
    resolveDueAt: T0 + 24 * HOUR,
    slaBreaches: [],
    outletId: null,
    technician: null,
    resolution: null,
    feedback: null,
    followUp: null,
    statusToken: `token-${tokens}-${Math.random().toString(36).slice(2)}`,
    ...overrides,
  };
}
