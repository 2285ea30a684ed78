/**
 * The JSON the dashboard reads from the HTTP API; times are ISO-8601 UTC strings. Where the server names the shape
 * of an answer, the type comes from the server source (type-only imports, so no server code reaches the bundle).
 */
import type { DeviceHealth, FleetHealth, HealthState } from '../../api/routes/fleet.js';
import type { Device, IngestReject } from '../../core/types.js';
import type { Priority, TicketStatus } from '../../tickets/types.js';

export type { Device, DeviceHealth, FleetHealth, HealthState, IngestReject, Priority };

/** The health states in the order the overview lists them. */
export const HEALTH_STATES: readonly HealthState[] = ['healthy', 'watch', 'warning', 'critical', 'offline'];
/** The statuses in which a ticket still needs someone. */
export const ACTIVE_STATUSES: readonly TicketStatus[] = ['open', 'acknowledged', 'dispatched', 'in_progress'];

/** One point of a telemetry answer: its time and the metrics known at it. */
export type TelemetryPoint = { ts: string } & Record<string, number | string>;

export interface TicketCondition {
  faultCode: string;
  metric: string;
  severity: string;
  state: 'active' | 'cleared';
  at: string;
  predictedFailureAt: string | null;
}

export interface Ticket {
  id: string;
  kind: 'proactive' | 'reactive';
  device: string;
  model: string;
  faultCode: string | null;
  category: 'machine' | 'data_quality';
  metric: string | null;
  severity: string | null;
  priority: Priority;
  predictedFailureAt: string | null;
  status: string;
  title: string;
  description: string | null;
  reportedBy: string;
  conditions: TicketCondition[];
  openedAt: string;
  updatedAt: string;
  firstResponseAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  respondDueAt: string;
  resolveDueAt: string;
  slaBreaches: { clock: 'respond' | 'resolve'; dueAt: string; at: string }[];
  outletId: string | null;
  technician: string | null;
  statusPath: string;
}

export interface HistoryEntry {
  at: string;
  actor: string;
  action: string;
  from: string | null;
  to: string | null;
  note: string;
}

export interface TicketDetail {
  ticket: Ticket;
  history: HistoryEntry[];
  findings: { key: string; faultCode: string; metric: string; severity: string; state: string; at: string }[];
  suggestions: { resolutionCode: string; timesUsed: number; firstTimeFixRate: number }[];
}
