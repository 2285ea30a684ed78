/**
 * Absolute limits (ISO 10816 zones for vibration, the model's temperature limits) with hysteresis: a zone is
 * entered only after the smoothed value stays beyond its limit for `enterMinutes`, and left only after it stays
 * below the limit minus the hysteresis band for `clearMinutes`, so a value hovering at a limit cannot flap.
 */

import { M, type MetricCursor } from '../state.js';
import { ewma, timeAlpha } from '../stats.js';

const MINUTE = 60_000;

/** The zone level a value is in: 0 normal, 1 beyond the warning limit, 2 beyond the critical limit. */
export function zoneLevel(value: number, warning: number, critical: number): number {
  return value >= critical ? 2 : value >= warning ? 1 : 0;
}

/**
 * The level a value counts as, given the confirmed level: staying in a zone only needs the value above the
 * zone's limit minus the hysteresis band.
 */
export function levelWithHysteresis(
  value: number,
  confirmed: number,
  warning: number,
  critical: number,
  hysteresis: number,
): number {
  const plain = zoneLevel(value, warning, critical);
  if (plain >= confirmed || confirmed === 0) return plain;
  const limit = confirmed === 2 ? critical : warning;
  if (value >= limit * (1 - hysteresis)) return confirmed;
  return confirmed === 2 && value >= warning * (1 - hysteresis) ? 1 : plain;
}

/**
 * Feeds one in-order raw reading. `explained` says the temperature excess is explained by ambient or peers
 * (the context check), in which case a limit does not count. Returns true when the confirmed zone changed.
 */
export function updateZone(c: MetricCursor, ts: number, raw: number, explained: boolean): boolean {
  const { s, m, rules } = c;
  const dt = ts - s[m + M.fastTs];
  s[m + M.fast] =
    rules.zone.smoothingMinutes === 0
      ? raw
      : ewma(s[m + M.fast], raw, timeAlpha(dt, rules.zone.smoothingMinutes * MINUTE));
  s[m + M.fastTs] = ts;
  const confirmed = s[m + M.zone];
  const target = explained
    ? 0
    : levelWithHysteresis(
        s[m + M.fast],
        confirmed,
        rules.warningLimit,
        rules.criticalLimit,
        rules.zone.hysteresis,
      );
  if (target === confirmed) {
    s[m + M.zoneCandidate] = confirmed;
    return false;
  }
  const candidate = s[m + M.zoneCandidate];
  const rising = target > confirmed;
  if (candidate === confirmed || candidate > confirmed !== rising) {
    s[m + M.zoneCandidate] = target;
    s[m + M.zoneCandidateSince] = ts;
  } else {
    // Same direction as before: the level held throughout is the least extreme one seen since.
    s[m + M.zoneCandidate] = rising ? Math.min(candidate, target) : Math.max(candidate, target);
  }
  const needed = (rising ? rules.zone.enterMinutes : rules.zone.clearMinutes) * MINUTE;
  if (ts - s[m + M.zoneCandidateSince] < needed) return false;
  s[m + M.zone] = s[m + M.zoneCandidate];
  return true;
}
