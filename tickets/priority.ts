/**
 * Ticket priority from a finding. P1: critical now, or predicted to reach the critical level within
 * 24 h of the finding. P2: warning, or predicted within 7 days. P3: everything else (info findings and
 * every data-quality finding: a broken sensor or link is not a machine about to fail).
 */
import type { Finding } from '../rules/finding.js';
import type { Priority } from './types.js';

const HOUR_MS = 3_600_000;
/** A predicted failure closer than this makes a ticket P1. */
export const P1_HORIZON_MS = 24 * HOUR_MS;
/** A predicted failure closer than this makes a ticket at least P2. */
export const P2_HORIZON_MS = 7 * 24 * HOUR_MS;

export function priorityForFinding(finding: Finding): Priority {
  if (finding.category === 'data_quality') return 'P3';
  const untilFailure = finding.predictedFailureAt === null ? null : finding.predictedFailureAt - finding.at;
  if (finding.severity === 'critical' || (untilFailure !== null && untilFailure <= P1_HORIZON_MS))
    return 'P1';
  if (finding.severity === 'warning' || (untilFailure !== null && untilFailure <= P2_HORIZON_MS)) return 'P2';
  return 'P3';
}

/** Negative when `a` is more urgent than `b`. */
export function comparePriority(a: Priority, b: Priority): number {
  return Number(a.slice(1)) - Number(b.slice(1));
}

export function moreUrgent(a: Priority, b: Priority): Priority {
  return comparePriority(a, b) <= 0 ? a : b;
}

/** One step up (P3→P2→P1); P1 stays P1. */
export function escalate(priority: Priority): Priority {
  return priority === 'P3' ? 'P2' : 'P1';
}
