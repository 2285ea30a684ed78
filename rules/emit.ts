import {
  type FaultCode,
  type Finding,
  type FindingEvidence,
  faultCategory,
  type Severity,
} from './finding.js';
import type { DeviceState } from './state.js';

/** Builds a finding for a device; the category always follows from the fault code. */
export function finding(
  dev: DeviceState,
  metric: string,
  faultCode: FaultCode,
  severity: Severity,
  state: Finding['state'],
  at: number,
  evidence: FindingEvidence,
  predictedFailureAt: number | null = null,
  predictionUncertaintyHours: number | null = null,
): Finding {
  return {
    device: dev.id,
    model: dev.model,
    metric,
    faultCode,
    category: faultCategory(faultCode),
    severity,
    state,
    at,
    evidence,
    predictedFailureAt,
    predictionUncertaintyHours,
  };
}
