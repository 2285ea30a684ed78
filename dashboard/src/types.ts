/** The JSON the dashboard reads from the HTTP API; times are ISO-8601 UTC strings. */

export const HEALTH_STATES = ['healthy', 'watch', 'warning', 'critical', 'offline'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];
export type Priority = 'P1' | 'P2' | 'P3';
export const ACTIVE_STATUSES = ['open', 'acknowledged', 'dispatched', 'in_progress'] as const;

export interface DeviceHealth {
  id: string;
  model: string;
  customer: string | null;
  online: boolean;
  lastSeenAt: string | null;
  health: HealthState;
  score: number;
  reasons: string[];
  latest: { ts: string; metrics: Record<string, number> } | null;
  openTickets: number;
}

export interface FleetHealth {
  generatedAt: string;
  summary: {
    devices: number;
    online: number;
    health: Record<HealthState, number>;
    openTickets: Record<Priority, number> & { total: number };
    slaOverdue: number;
  };
  devices: DeviceHealth[];
}

export interface Device {
  id: string;
  model: string;
  lat: number | null;
  lon: number | null;
  customer: string | null;
  installedAt: string | null;
  createdAt: string;
  lastSeenAt: string | null;
  online: boolean;
}

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

export interface IngestReject {
  at: string;
  device: string;
  reason: string;
  detail?: string;
  excerpt: string;
}
