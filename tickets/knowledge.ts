/** The case knowledge base: past fixes for a fault on a model, best first. */
import type { Resolution } from './types.js';

export interface PastFix {
  ticketId: string;
  resolvedAt: number;
  resolution: Resolution;
}

export interface FixSuggestion {
  resolutionCode: string;
  /** How many tickets this fix resolved. */
  timesUsed: number;
  /** How many of them at the first visit. */
  firstTimeFixes: number;
  firstTimeFixRate: number;
  /** Parts used with this fix, most often used first. */
  parts: { partNumber: string; timesUsed: number }[];
  lastUsedAt: number;
  /** Up to five tickets to read, newest first. */
  exampleTickets: string[];
}

/** Groups past fixes by resolution code; ranked by first-time fixes, then use, then recency. */
export function rankFixes(fixes: readonly PastFix[]): FixSuggestion[] {
  const byCode = new Map<string, PastFix[]>();
  for (const fix of fixes) {
    const group = byCode.get(fix.resolution.resolutionCode) ?? [];
    group.push(fix);
    byCode.set(fix.resolution.resolutionCode, group);
  }
  const suggestions = [...byCode].map(([resolutionCode, group]): FixSuggestion => {
    const newestFirst = [...group].sort((a, b) => b.resolvedAt - a.resolvedAt);
    const firstTimeFixes = group.filter((fix) => fix.resolution.firstTimeFix).length;
    const partUse = new Map<string, number>();
    for (const fix of group) {
      for (const part of new Set(fix.resolution.parts.map((p) => p.partNumber))) {
        partUse.set(part, (partUse.get(part) ?? 0) + 1);
      }
    }
    return {
      resolutionCode,
      timesUsed: group.length,
      firstTimeFixes,
      firstTimeFixRate: firstTimeFixes / group.length,
      parts: [...partUse]
        .map(([partNumber, timesUsed]) => ({ partNumber, timesUsed }))
        .sort((a, b) => b.timesUsed - a.timesUsed || a.partNumber.localeCompare(b.partNumber)),
      lastUsedAt: newestFirst[0].resolvedAt,
      exampleTickets: newestFirst.slice(0, 5).map((fix) => fix.ticketId),
    };
  });
  return suggestions.sort(
    (a, b) =>
      b.firstTimeFixes - a.firstTimeFixes ||
      b.timesUsed - a.timesUsed ||
      b.lastUsedAt - a.lastUsedAt ||
      a.resolutionCode.localeCompare(b.resolutionCode),
  );
}
