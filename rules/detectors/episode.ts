/**
 * Turns the conditions of the machine detectors on one metric (zone, drift or step, trend) into findings. The
 * first condition opens an episode and fixes its fault code; while it lasts, further conditions only raise the
 * severity or move the prediction, and a finding goes out only when one of those changes materially; it clears
 * when every condition has cleared. So one developing fault gives one ticket, not one per detector.
 */
import { vibrationZone } from '../../core/models.js';
import type { ModelRules } from '../config.js';
import { finding } from '../emit.js';
import { type FaultCode, type Finding, MACHINE_FAULT_CODES, type Severity } from '../finding.js';
import { M, type MetricCursor } from '../state.js';
import { DRIFT_NONE, STEP } from './drift.js';

const HOUR = 3_600_000;
const SEVERITIES: Severity[] = ['info', 'warning', 'critical'];

/** The fault code that names the strongest active condition of a metric, or null when none is active. */
export function conditionCode(metric: string, zone: number, drift: number, trend: number): FaultCode | null {
  const vibration = metric === 'vibration_rms';
  if (zone === 2) return vibration ? 'VIB-ZONE-D' : 'TEMP-HIGH';
  if (zone === 1) return vibration ? 'VIB-ZONE-C' : 'TEMP-HIGH';
  if (drift === STEP) return vibration ? 'VIB-STEP' : 'TEMP-DRIFT';
  if (trend === 1) return vibration ? 'VIB-TREND' : 'TEMP-TREND';
  if (drift !== DRIFT_NONE) return vibration ? 'VIB-DRIFT' : 'TEMP-DRIFT';
  return null;
}

/** Whether a prediction moved enough to tell the ticket. */
export function predictionMoved(
  previous: number,
  next: number,
  at: number,
  minMs: number,
  share: number,
): boolean {
  if (Number.isNaN(next)) return false;
  if (Number.isNaN(previous)) return true;
  return Math.abs(next - previous) >= Math.max(minMs, share * Math.max(0, previous - at));
}

/**
 * Re-evaluates the episode after a detector changed or a bucket closed. `baseline` is the expected raw value
 * now (the learned level, plus ambient compensation for temperature).
 */
export function updateEpisode(
  c: MetricCursor,
  at: number,
  baseline: number,
  model: ModelRules,
  out: Finding[],
): void {
  const { s, m, rules } = c;
  const zone = s[m + M.zone];
  const code = conditionCode(rules.metric, zone, s[m + M.drift], s[m + M.trend]);
  const open = s[m + M.episodeCode] >= 0;
  if (!open && code === null) return;

  // At the critical level the failure is here: from then on the prediction is the time it was first reached.
  if (open && zone === 2 && Number.isNaN(s[m + M.episodeReachedAt])) s[m + M.episodeReachedAt] = at;
  const reached = open ? s[m + M.episodeReachedAt] : zone === 2 ? at : Number.NaN;
  const predicted = Number.isNaN(reached) ? s[m + M.predictedAt] : reached;
  // Severity only rises within an episode: a failing machine that cools down for a while has not recovered.
  const severity = Math.max(
    open ? s[m + M.episodeSeverity] : 0,
    zone === 2 || (!Number.isNaN(predicted) && predicted - at <= rules.trend.criticalHours * HOUR) ? 2 : 1,
  );

  if (!open) {
    // One machine episode per device: another metric's open episode already has the device's ticket.
    if (c.dev.episodeMetric >= 0 && c.dev.episodeMetric !== c.k) return;
    c.dev.episodeMetric = c.k;
    s[m + M.episodeCode] = MACHINE_FAULT_CODES.indexOf(code as (typeof MACHINE_FAULT_CODES)[number]);
    s[m + M.episodeSeverity] = severity;
    s[m + M.episodePredictedAt] = predicted;
    s[m + M.episodeReachedAt] = reached;
    s[m + M.episodeEmittedAt] = at;
    out.push(machineFinding(c, 'active', at, baseline, code as FaultCode));
    return;
  }
  const episodeCode = MACHINE_FAULT_CODES[s[m + M.episodeCode]];
  if (code === null) {
    out.push(machineFinding(c, 'cleared', at, baseline, episodeCode));
    c.dev.episodeMetric = -1;
    s[m + M.episodeCode] = -1;
    s[m + M.episodeSeverity] = 0;
    s[m + M.episodePredictedAt] = Number.NaN;
    s[m + M.episodeReachedAt] = Number.NaN;
    return;
  }
  // A moved prediction is news at most once per `predictionUpdateHours`; a new severity at once.
  const moved =
    at - s[m + M.episodeEmittedAt] >= model.predictionUpdateMs &&
    predictionMoved(
      s[m + M.episodePredictedAt],
      predicted,
      at,
      model.predictionUpdateMs,
      model.predictionUpdateShare,
    );
  if (severity === s[m + M.episodeSeverity] && !moved) return;
  s[m + M.episodeSeverity] = severity;
  if (!Number.isNaN(predicted)) s[m + M.episodePredictedAt] = predicted;
  s[m + M.episodeEmittedAt] = at;
  out.push(machineFinding(c, 'active', at, baseline, episodeCode));
}

function machineFinding(
  c: MetricCursor,
  state: Finding['state'],
  at: number,
  baseline: number,
  code: FaultCode,
): Finding {
  const { s, m, rules } = c;
  const current = s[m + M.fast];
  const zone = s[m + M.zone];
  const predicted = s[m + M.episodePredictedAt];
  const conditions = [
    zone > 0 ? `zone ${zone === 2 ? 'critical' : 'warning'}` : '',
    s[m + M.drift] === STEP ? 'step' : s[m + M.drift] !== DRIFT_NONE ? 'drift' : '',
    s[m + M.trend] === 1 ? 'trend' : '',
  ].filter(Boolean);
  const slope = s[m + M.trendSlope];
  return finding(
    c.dev,
    rules.metric,
    code,
    SEVERITIES[s[m + M.episodeSeverity]],
    state,
    at,
    {
      baseline: finite(baseline),
      spread: finite(s[m + M.spread]),
      current,
      change: finite(current - baseline),
      slopePerHour: finite(slope),
      zone:
        rules.metric === 'vibration_rms'
          ? vibrationZone(c.dev.rules.profile.vibrationClass, current)
          : undefined,
      limit: zone === 2 ? rules.criticalLimit : zone === 1 ? rules.warningLimit : undefined,
      note: conditions.length > 0 ? `active: ${conditions.join(', ')}` : 'all conditions cleared',
    },
    Number.isNaN(predicted) ? null : predicted,
    Number.isNaN(predicted) || Number.isNaN(s[m + M.predictionHours]) ? null : s[m + M.predictionHours],
  );
}

function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}
